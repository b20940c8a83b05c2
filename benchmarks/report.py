"""Render result rows (see ``benchmarks.harness.row``) as a Markdown table and a JSON document."""

from __future__ import annotations

import json
import os

from .harness import fmt_bytes, fmt_seconds

__all__ = ["DESIGN_HEADING", "kept_sections", "markdown", "write"]


def _value(r: dict, key: str) -> str:
    v = r.get(key)
    if r["kind"] == "bytes":
        return fmt_bytes(v)
    if r["kind"] == "growth":
        return "-"
    return fmt_seconds(v)


def _how(meta: dict) -> str:
    return (f"each engine in {meta.get('processes', 1)} worker process(es) used in turn, the coordinator "
            "alternating the engines' runs (paired processes)" if meta.get("mode") == "processes"
            else "all engines in one process")


def _ratio(r: dict) -> str:
    if r.get("ratio") is None:
        return ""
    if r.get("ratio_min") is not None:
        return f"{r['ratio']:.2f} ({r.get('ratio_medians', r['ratio']):.2f}, {r['ratio_min']:.2f})"
    return f"{r['ratio']:.2f}"


def markdown(rows: list[dict], meta: dict) -> str:
    if meta["quick"]:
        return _smoke_markdown(rows, meta)
    lines = ["# Benchmark results", ""]
    lines.append(f"Run {meta['date']} ({'quick smoke run' if meta['quick'] else 'full run'}) with "
                 + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()) + f"; Python {meta['python']}.")
    lines.append(f"Machine: {meta['cpus']} CPUs, load average {meta['loadavg_before']} before and "
                 f"{meta['loadavg_after']} after; PyTorch threads {meta['torch_threads']}"
                 + (f", ours {meta['threads']} (workload 11: 1 and {meta['threads']})" if meta.get("threads") else "")
                 + ". Engines: "
                 f"{', '.join(meta['engines'])}; not installed: {', '.join(meta['missing']) or 'none'}.")
    how = _how(meta)
    lines.append(f"Each time is the median of {meta['repeats']} runs (min–max beside it) after warm-up; engines "
                 f"interleaved run by run, {how}; GC enabled, collected before every run. "
                 "**ratio** = ours / engine: the median over rounds of the two runs' ratio (each round runs the "
                 "engines back to back), in brackets the ratio of the medians and of the minima (time; peak RSS for "
                 "memory; < 1 means we are faster / smaller); **met** judges the first.")
    lines += ["", "| workload | case | engine | median | min–max | ratio ours/engine | target | met | note |",
              "| --- | --- | --- | ---: | --- | ---: | --- | --- | --- |"]
    for r in rows:
        if r.get("error"):
            lines.append(f"| {r['workload']} | {r['case']} | {r['engine']} | error | | | | | {r['error']} |")
            continue
        rng = "" if r.get("min") is None else f"{_value(r, 'min')} – {_value(r, 'max')}"
        met = "" if r.get("met") is None else ("yes" if r["met"] else "**no**")
        note = r.get("note") or ""
        if r.get("loss_rel_diff") is not None:
            note = (note + "; " if note else "") + f"first loss rel. diff {r['loss_rel_diff']:.1e}"
        lines.append(f"| {r['workload']} | {r['case']} | {r['engine']} | {_value(r, 'median')} | {rng} | "
                     f"{_ratio(r)} | {r.get('target') or ''} | {met} | {note} |")
    lines.append("")
    return "\n".join(lines)


SMOKE_BANNER = ("SMOKE RUN (--quick): it checks that every workload runs and that the engines compute the same "
                "losses. The times come from 2 runs of reduced shapes in one process and are not measurements: no "
                "ratios, no target verdicts. Run `python -m benchmarks` (a full run) for those.")


def _smoke_markdown(rows: list[dict], meta: dict) -> str:
    """The quick run's table: what ran, with its times for orientation, and nothing that reads as a verdict."""
    lines = ["# Benchmark smoke run", "", f"**{SMOKE_BANNER}**", ""]
    lines.append(f"Run {meta['date']} with " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
                 + f"; Python {meta['python']}; {meta['cpus']} CPUs; engines: {', '.join(meta['engines'])}; "
                 + _how(meta) + ".")
    lines += ["", "| workload | case | engine | ran | median | min–max | note |",
              "| --- | --- | --- | --- | ---: | --- | --- |"]
    for r in rows:
        if r.get("error"):
            lines.append(f"| {r['workload']} | {r['case']} | {r['engine']} | error | | | {r['error']} |")
            continue
        rng = "" if r.get("min") is None else f"{_value(r, 'min')} – {_value(r, 'max')}"
        note = r.get("note") or ""
        if r.get("loss_rel_diff") is not None:
            note = (note + "; " if note else "") + f"first loss rel. diff {r['loss_rel_diff']:.1e}"
        lines.append(f"| {r['workload']} | {r['case']} | {r['engine']} | ok | {_value(r, 'median')} | {rng} | {note} |")
    lines += ["", SMOKE_BANNER, ""]
    return "\n".join(lines)


DESIGN_HEADING = "## Design measurements"


def kept_sections(path: str) -> str:
    """The hand-written tail of an existing ``RESULTS.md``, from its ``DESIGN_HEADING`` line on ("" if none)."""
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        return ""
    at = text.find("\n" + DESIGN_HEADING + "\n")
    return "" if at < 0 else text[at + 1:]


def write(rows: list[dict], meta: dict, out_dir: str, results_md: str | None = None) -> dict:
    """Write ``results.json`` and ``results.md`` to ``out_dir`` (and the table to ``results_md`` if given, keeping
    that file's "Design measurements" section, which is written by hand)."""
    os.makedirs(out_dir, exist_ok=True)
    paths = {"json": os.path.join(out_dir, "results.json"), "md": os.path.join(out_dir, "results.md")}
    with open(paths["json"], "w") as f:
        json.dump({"meta": meta, "results": rows}, f, indent=1, default=str)
    text = markdown(rows, meta)
    with open(paths["md"], "w") as f:
        f.write(text)
    if results_md:
        kept = kept_sections(results_md)
        with open(results_md, "w") as f:
            f.write(text + ("\n" + kept if kept else ""))
        paths["results_md"] = results_md
    return paths
