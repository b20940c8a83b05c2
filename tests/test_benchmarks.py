"""The benchmark suite runs end to end (its --quick path, one repeat) and writes its JSON and Markdown.

No timing is asserted: speed is what the suite reports, not what the tests check. What is checked: every
workload produced rows for every installed engine without errors, the engines computed the same math where
the weights are copied across (first losses agree), the report files exist and hold every row, and the
timing core calls the engines the way its docstring says (warm-up, interleaved rounds, calibrated runs).
"""

import json
import os
import statistics

import pytest

from benchmarks import __main__ as cli
from benchmarks import harness, report
from benchmarks.engines import available

FAMILIES = ["1 per-op overhead", "2 MLP step", "3 CNN step", "4 LSTM fwd+bwd", "5 Transformer fwd+bwd",
            "6 Adam step", "7 scalar Value MLP", "8 matmul", "9 scaling", "cold start", "10 data parallel",
            "11 larger, threads"]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    results_md = out / "RESULTS.md"
    res = cli.run(quick=True, repeats=1, out_dir=str(out), verbose=False)
    return res, out, results_md


def test_quick_run_covers_every_workload_and_engine(quick_run):
    res, _, _ = quick_run
    rows = res["results"]
    errors = [(r["workload"], r["case"], r["engine"], r["error"]) for r in rows if r["error"]]
    assert errors == []
    assert sorted({r["workload"] for r in rows}, key=FAMILIES.index) == FAMILIES
    engines = available()
    for fam in FAMILIES:
        fam_rows = [r for r in rows if r["workload"] == fam]
        assert any(r["engine"] == "ours" for r in fam_rows), fam
        for r in fam_rows:
            assert r["median"] is not None or r["kind"] == "growth"
            if r["median"] is not None:
                assert r["median"] > 0
            if r["min"] is not None:
                assert r["min"] <= r["median"] <= r["max"]
        if "torch" in engines and fam not in ("7 scalar Value MLP", "10 data parallel"):
            assert any(r["engine"] == "torch" for r in fam_rows), fam
    if "micrograd" in engines:
        assert any(r["engine"] == "micrograd" for r in rows)
    assert not any(r["engine"] in ("tinygrad", "jax") for r in rows if r["engine"] not in engines)


def test_quick_run_engines_do_the_same_math(quick_run):
    """Weights are copied into the other engines: the first losses agree to float32 rounding."""
    rows = quick_run[0]["results"]
    compared = [r for r in rows if r.get("loss_rel_diff") is not None]
    if "torch" in available():
        assert {r["workload"] for r in compared} >= {"1 per-op overhead", "2 MLP step", "3 CNN step",
                                                     "4 LSTM fwd+bwd", "5 Transformer fwd+bwd"}
    for r in compared:
        assert r["loss_rel_diff"] < 1e-4, (r["workload"], r["case"], r["engine"], r["loss_rel_diff"])


def test_quick_run_targets_and_ratios(quick_run):
    rows = quick_run[0]["results"]
    for r in rows:
        if r["engine"] != "ours" and r["kind"] == "time" and r["median"] is not None and r["workload"] != "cold start":
            assert r["ratio"] is not None and r["ratio"] > 0
        assert r["met"] is None  # a smoke run draws no verdicts
    mm = [r for r in rows if r["workload"] == "8 matmul"]
    assert all(r["gflops"] > 0 for r in mm)
    mem = {r["engine"]: r for r in rows if r["kind"] == "bytes"}
    assert mem["ours"]["median"] >= mem["ours"]["setup_rss"] > 0
    cold = [r["case"] for r in rows if r["workload"] == "cold start"]
    assert "import autograd, nn, optim, empty Numba cache" in cold
    assert "first MLP step, warm Numba cache" in cold


def test_quick_run_writes_json_and_markdown(quick_run):
    res, out, results_md = quick_run
    with open(out / "results.json") as f:
        doc = json.load(f)
    assert doc["meta"]["quick"] is True and doc["meta"]["repeats"] == 1
    assert len(doc["results"]) == len(res["results"])
    text = (out / "results.md").read_text()
    assert "| workload | case | engine | ran | median |" in text and "SMOKE RUN" in text
    assert text.count("\n| ") == len(res["results"]) + 2  # header, rule, one line per row
    for fam in FAMILIES:
        assert f"| {fam} |" in text
    assert not results_md.exists()  # a quick run never writes RESULTS.md
    assert res["paths"] == {"json": str(out / "results.json"), "md": str(out / "results.md")}


def test_full_run_writes_results_md(tmp_path):
    target = tmp_path / "RESULTS.md"
    res = cli.run(quick=False, only="8", repeats=1, out_dir=str(tmp_path), results_md=str(target), verbose=False)
    assert target.read_text() == (tmp_path / "results.md").read_text()
    assert "full run" in target.read_text()
    cases = {"(1024x1024) @ (1024x1024)", "(128x784) @ (784x256)"}
    same_process = {c + ", vs numpy in one process" for c in cases}
    assert {r["case"] for r in res["results"]} == (same_process | cases if "torch" in available() else same_process)
    by_case = {(r["case"], r["engine"]) for r in res["results"]}
    assert all((c, e) in by_case for c in same_process for e in ("ours", "numpy"))


def test_paired_processes_mode(tmp_path):
    """Each engine in its own worker process (the default of a full run): same rows, same first losses."""
    res = cli.run(quick=True, only="2", repeats=2, out_dir=str(tmp_path), mode="processes", verbose=False)
    rows = res["results"]
    assert [r["error"] for r in rows] == [None] * len(rows)
    assert {r["mode"] for r in rows} == {"paired processes"}
    by = {r["engine"]: r for r in rows}
    assert by["ours"]["repeats"] == 2 and len(by["ours"]["runs"]) == 2  # every run's time is kept in the JSON
    assert by["ours"]["min"] == min(by["ours"]["runs"])
    if "torch" in by:
        assert by["torch"]["loss_rel_diff"] < 1e-4 and by["torch"]["ratio"] > 0
    assert "paired processes" in (tmp_path / "results.md").read_text()
    with pytest.raises(ValueError, match="mode must be"):
        cli.run(quick=True, only="1", mode="threads")


def test_worker_reports_a_failing_build():
    from benchmarks.worker import Spec, measure_isolated

    timings, errors = measure_isolated({"ours": (Spec(_broken_builders), "ours")}, repeats=1, warmup=1, min_run=0.0,
                                       torch_threads=1)
    assert timings == {} and "ZeroDivisionError" in errors["ours"]


def test_workers_per_engine_are_used_in_turn(tmp_path):
    """With ``processes=2`` an engine's rounds alternate between two worker processes."""
    from benchmarks.worker import Spec, measure_isolated

    log = tmp_path / "pids.txt"
    timings, errors = measure_isolated({"ours": (Spec(_pid_builders, (str(log),)), "ours")}, repeats=4, warmup=1,
                                       min_run=0.0, torch_threads=1, settle=0.0, processes=2)
    assert errors == {} and len(timings["ours"].runs) == 4
    pids = [int(p) for p in log.read_text().split()]
    # after both workers' warm-up calls: the four runs, each one untimed call and one timed call
    first, second = pids[-8], pids[-6]
    assert first != second and pids[-8:] == [first, first, second, second] * 2


def test_cli_main(tmp_path, capsys):
    assert cli.main(["--quick", "--only", "overhead", "--repeats", "1", "--out-dir", str(tmp_path)]) == 0
    assert "1 per-op overhead" in capsys.readouterr().out
    assert os.path.exists(tmp_path / "results.json")


def test_cli_rejects_unknown_workload_and_bad_repeats():
    with pytest.raises(SystemExit, match="unknown workload"):
        cli.main(["--only", "nope"])
    with pytest.raises(ValueError, match="repeats must be >= 1"):
        harness.Config.make(repeats=0)
    assert [w[1] for w in cli.select("2,cnn")] == ["mlp", "cnn"]


def test_measure_warms_up_interleaves_and_calibrates():
    calls = []

    def make(name, ret):
        def f():
            calls.append(name)
            return ret
        return f

    t = harness.measure({"a": make("a", 1.5), "b": make("b", None)}, repeats=3, warmup=2, min_run=0.0)
    assert t["a"].number == t["b"].number == 1
    assert len(t["a"].runs) == len(t["b"].runs) == 3
    assert t["a"].first == 1.5 and t["b"].first is None
    assert calls[:4] == ["a", "a", "b", "b"]  # warm-up of each engine first
    assert calls[4:] == ["a", "b", "b", "a", "a", "b"]  # then rounds, order rotated round by round
    # a 1 µs-ish step is calibrated into many calls per run
    t = harness.measure({"fast": lambda: None}, repeats=2, min_run=0.002)
    assert t["fast"].number > 10


def test_paired_ratio_compares_runs_of_the_same_round():
    """A slow spell (2x, from round 3 on) that began between the two runs of round 3 skews the ratio of the medians
    (0.4) but not the paired ratio: ours is 0.8x theirs in every other round."""
    theirs = [1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0]
    ours = [0.8, 0.8, 0.8, 0.8, 1.6, 1.6, 1.6]
    assert harness.paired_ratio(ours, theirs) == pytest.approx(0.8)
    assert statistics.median(ours) / statistics.median(theirs) == pytest.approx(0.4)


def test_time_case_reports_a_failing_builder_and_keeps_the_others():
    cfg = harness.Config.make(quick=True, repeats=1)

    def broken():
        raise NotImplementedError("no such op")

    rows = harness.time_case(cfg, "w", "c", {"ours": lambda: (lambda: 2.0), "torch": broken,
                                             "other": lambda: (lambda: 4.0)},
                             targets={"other": (10.0, "<= 10 x other")})
    by = {r["engine"]: r for r in rows}
    assert "NotImplementedError: no such op" in by["torch"]["error"]
    assert by["other"]["met"] is True and by["other"]["ratio"] > 0
    assert by["other"]["loss_rel_diff"] == pytest.approx(1.0)
    text = report.markdown(rows, {"date": "d", "quick": True, "versions": {}, "python": "3", "cpus": 2,
                                  "loadavg_before": "0", "loadavg_after": "0", "torch_threads": 2,
                                  "engines": ["ours"], "missing": [], "repeats": 1})
    assert "| w | c | torch | error |" in text


def test_optional_engines_skip_cleanly():
    """tinygrad and JAX are optional: without them their builders are simply not offered."""
    from benchmarks import matmul, mlp, overhead

    engines = {"ours": None}
    for b in (overhead.add_builders(engines), overhead.mulsum_builders(engines), mlp.mlp_builders(engines),
              matmul.builders(engines, (2, 3), (3, 4))):
        assert "tinygrad" not in b and "jax" not in b and "ours" in b


def _broken_builders(engines):
    return {"ours": lambda: 1 / 0}


def _pid_builders(engines, path):
    def step():
        with open(path, "a") as f:
            f.write(f"{os.getpid()}\n")

    return {"ours": lambda: step}


def _rows_and_meta(quick: bool):
    meta = {"date": "2026-01-01 00:00 UTC", "quick": quick, "repeats": 2 if quick else 11, "processes": 1,
            "mode": "inprocess", "python": "3.11", "versions": {"numpy": "2"}, "cpus": 2, "torch_threads": 2,
            "engines": ["ours", "torch"], "missing": [], "loadavg_before": "1", "loadavg_after": "1"}
    rows = [harness.row("1 per-op overhead", "(a*b).sum()", "torch", median=3e-5, min=2e-5, max=4e-5, ratio=1.01,
                        ratio_medians=1.0, ratio_min=1.02, target="<= 1.0", met=None if quick else False)]
    return rows, meta


def test_quick_report_says_smoke_run_and_prints_no_verdicts():
    rows, meta = _rows_and_meta(quick=True)
    text = report.markdown(rows, meta)
    assert text.splitlines()[0] == "# Benchmark smoke run"
    assert "SMOKE RUN (--quick)" in text and "no target verdicts" in text and text.rstrip().endswith("for those.")
    assert "1.01" not in text and "<= 1.0" not in text and "**no**" not in text and "| met |" not in text
    assert "| 1 per-op overhead | (a*b).sum() | torch | ok | 30.00 µs | 20.00 µs – 40.00 µs |  |" in text


def test_full_report_keeps_its_verdicts():
    rows, meta = _rows_and_meta(quick=False)
    text = report.markdown(rows, meta)
    assert "SMOKE" not in text and "| met |" in text and "**no**" in text and "1.01" in text


def test_full_run_keeps_the_hand_written_design_measurements(tmp_path):
    """A full run rewrites RESULTS.md's table but keeps its "Design measurements" section word for word."""
    rows, meta = _rows_and_meta(quick=False)
    target = tmp_path / "RESULTS.md"
    design = f"{report.DESIGN_HEADING}\n\n| where | choice | measured |\n| --- | --- | --- |\n| a | b | 1 ms |\n"
    target.write_text("# Benchmark results\n\nan old table\n\n" + design)
    report.write(rows, meta, str(tmp_path / "out"), str(target))
    text = target.read_text()
    assert "an old table" not in text and text.startswith(report.markdown(rows, meta))
    assert text.endswith("\n" + design) and text.count(report.DESIGN_HEADING) == 1
    report.write(rows, meta, str(tmp_path / "out"), str(target))  # a second run changes nothing
    assert target.read_text() == text


def test_results_md_holds_its_design_measurements():
    """The checked-in RESULTS.md carries the section the library's docstrings point to."""
    path = os.path.join(os.path.dirname(report.__file__), "RESULTS.md")
    assert report.kept_sections(path).startswith(report.DESIGN_HEADING + "\n")


def test_threads_option_sets_both_engines(tmp_path, monkeypatch):
    """``--threads N``: PyTorch and ours on N threads (worker processes inherit it through the environment);
    workload 11 times each larger workload at 1 and N threads (here N = 1: no speedup rows)."""
    from autograd import threads
    from benchmarks.engines import THREADS_ENV

    monkeypatch.setenv(THREADS_ENV, "1")  # restored (removed) after the test
    with threads.num_threads(threads.get_num_threads()):  # the count and the BLAS's restored after the run
        res = cli.run(quick=True, only="11", repeats=1, out_dir=str(tmp_path), verbose=False, threads=1)
        assert threads.get_num_threads() == 1
    assert res["meta"]["threads"] == 1 and res["meta"]["torch_threads"] == 1
    rows = res["results"]
    assert rows and not [r["error"] for r in rows if r["error"]]
    assert all(r["case"].endswith("@1 thread") and r["kind"] == "time" for r in rows)
    assert {r["engine"] for r in rows} >= {"ours"}
    with pytest.raises(ValueError, match="threads"):
        cli.run(quick=True, only="11", threads=0)


def test_larger_workload_pairs_thread_counts_round_by_round(monkeypatch):
    """Workload 11 times every engine at 1 and N threads in one measurement, and its speedup is the median of
    each round's time(1) / time(N), not the ratio of medians taken minutes apart."""
    from benchmarks import larger

    runs = {"ours@1": [4.0, 8.0, 6.0], "ours@2": [2.0, 5.0, 4.0], "torch@1": [4.0] * 3, "torch@2": [2.0] * 3}
    calls = []

    def fake(cfg, jobs):
        calls.append(sorted(jobs))
        return {name: harness.Timing(runs[name], 1, 1.0) for name in jobs}, {}

    monkeypatch.setattr(larger, "measure_jobs", fake)
    cfg = harness.Config.make(quick=True, engines={"ours": None, "torch": None}, threads=2)
    rows = larger.run(cfg)
    assert calls == [["ours@1", "ours@2", "torch@1", "torch@2"]] * len(larger.QUICK_SHAPES)
    speedups = {r["engine"]: r for r in rows if r["kind"] == "growth"}
    assert speedups["ours"]["ratio"] == pytest.approx(1.6)  # rounds: 2, 1.6, 1.5
    assert speedups["ours"]["ratio_medians"] == pytest.approx(1.5)
    assert speedups["ours"]["met"] is True and speedups["torch"]["ratio"] == pytest.approx(2.0)
    at_two = [r for r in rows if r["engine"] == "torch" and r["case"].endswith("@2 threads")]
    assert at_two[0]["ratio"] == pytest.approx(2.0) and at_two[0]["met"] is False  # rounds: 1, 2.5, 2
