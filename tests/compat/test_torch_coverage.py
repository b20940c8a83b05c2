"""Every name that 3 or more of the programs counted in tests/data/TORCH-USAGE.md use is present here (through
the runner's torch -> autograd mapping, or on an instance for Tensor/Module/Optimizer/LRScheduler names) or is in
the README's "Not supported" list with a reason."""

import pytest

from tests.compat.torch_usage import (
    coverage,
    is_listed_unsupported,
    present,
    unsupported_list,
    usage_rows,
)

# Names that a branch in flight adds before it lands; empty on main, where every name is checked.
_LANDING_ELSEWHERE: set[str] = set()

ROWS = usage_rows()
USED_BY_3 = [(n, p) for n, p in ROWS if p >= 3]


@pytest.fixture(scope="module")
def instances():
    from tests.compat.torch_usage import _instances

    return _instances()


def test_usage_file_is_read():
    assert len(ROWS) > 600  # both tables: names used by 2+ programs, and the CUDA-only names
    assert ("torch.device", 324) in ROWS and ("torch.cuda.is_available", 388) in ROWS


def test_not_supported_list_gives_reasons():
    listed = unsupported_list()
    assert "torch.fx" in listed and "torch.distributed.rpc" in listed
    assert all(len(reason) > 20 for reason in listed.values())


def test_every_name_used_by_3_programs_is_present_or_listed(instances):
    listed = unsupported_list()
    missing = [(n, p) for n, p in USED_BY_3
               if not present(n, instances) and not is_listed_unsupported(n, listed) and n not in _LANDING_ELSEWHERE]
    assert not missing, f"{len(missing)} names used by 3+ programs are neither present nor listed: {missing}"


def test_landing_elsewhere_are_really_elsewhere(instances):
    # a name here must be a real name of the usage file and not yet listed as unsupported
    names = {n for n, _ in USED_BY_3}
    listed = unsupported_list()
    assert _LANDING_ELSEWHERE <= names
    assert not [n for n in _LANDING_ELSEWHERE if is_listed_unsupported(n, listed)]


def test_coverage_figures(instances):
    c = coverage(USED_BY_3, lambda n: present(n, instances))
    # the figures before this work: 89.5% of uses, 67.2% of distinct names (3+ programs)
    assert c["uses"] > 0.95 and c["names"] > 0.75
