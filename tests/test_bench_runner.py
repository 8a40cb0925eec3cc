"""bench/run_all.py's sizing: time shares renormalized over what is left, floors, nothing
skipped, the safety timeout, exit codes and the summary table; with fake bench scripts that
take a second at most (not a timed test). Also bench/_common.py's `fit`.

    .venv/bin/python -m pytest -q tests/test_bench_runner.py
"""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def run_all(tmp_path, monkeypatch):
    module = load("run_all")
    monkeypatch.setattr(module, "BENCH_DIR", tmp_path)
    return module


# A fake bench: writes the --seconds it got to --json; FAIL=1 in its name's env exits 3.
FAKE = '''
import argparse, json, sys, time
p = argparse.ArgumentParser()
p.add_argument("--seconds", type=float)
p.add_argument("--json")
a = p.parse_args()
print("sizing: fake", a.seconds, flush=True)
time.sleep({sleep})
if {fail}:
    sys.exit(3)
json.dump({{"seconds_given": a.seconds, "ratio": 1.5, "target": 2.0, "met": False}},
          open(a.json, "w"))
'''
# A bench that does not know --seconds (another helper's, not yet updated).
FIXED = '''
import argparse, json
p = argparse.ArgumentParser()
p.add_argument("--json")
json.dump({{"ratio": 0.5}}, open(p.parse_args().json, "w"))
'''


def fake(run_all, name: str, sleep: float = 0.0, fail: bool = False, source: str = FAKE):
    (run_all.BENCH_DIR / f"bench_{name}.py").write_text(source.format(sleep=sleep, fail=fail))


def test_allot_renormalizes_over_the_benches_left_with_a_floor(run_all):
    a, b, c = (run_all.Bench(n, s, f) for n, s, f in (("a", 0.5, 10), ("b", 0.3, 20),
                                                        ("c", 0.2, 5)))
    assert run_all.allot(a, [a, b, c], 100) == pytest.approx(50)
    # `a` took 70 s: `b` gets 0.3 / 0.5 of the 30 s left, but not under its floor of 20.
    assert run_all.allot(b, [b, c], 30) == pytest.approx(20)
    assert run_all.allot(b, [b, c], 60) == pytest.approx(36)
    assert run_all.allot(c, [c], 0) == pytest.approx(5)  # budget spent: the floor, not a skip


def test_default_run_leaves_out_opt_in_benches_and_only_selects_them(run_all):
    names = [b.name for b in run_all.selected(run_all.BENCHES, set())]
    assert "knowledge" not in names and {"train", "serve", "eval_batched"} <= set(names)
    assert [b.name for b in run_all.selected(run_all.BENCHES, {"knowledge"})] == ["knowledge"]
    with pytest.raises(SystemExit, match="unknown"):
        run_all.selected(run_all.BENCHES, {"nope"})


def test_every_bench_runs_with_its_share_none_skipped(run_all, capsys):
    benches = [run_all.Bench("one", 3, 1), run_all.Bench("two", 1, 1),
               run_all.Bench("fixed", 1, 1), run_all.Bench("gone", 1, 1)]
    fake(run_all, "one")
    fake(run_all, "two")
    fake(run_all, "fixed", source=FIXED)
    results = run_all.run_all(benches, budget_s=50, environ=run_all.os.environ.copy())
    assert [r["status"] for r in results.values()] == ["ok", "ok", "ok", "missing"]
    # The missing script takes no share: `one` gets 3/5 of 50 s, not 3/6.
    assert results["one"]["figures"]["seconds_given"] == pytest.approx(30, abs=1)
    # `two` gets half (1 of `two` + `fixed`'s 2) of what `one` left: one's time comes off.
    given = results["two"]["figures"]["seconds_given"]
    assert 25 * 0.9 < given <= 25
    assert results["two"]["allotted_s"] == round(given)
    assert not results["fixed"]["sized_itself"] and results["one"]["sized_itself"]
    assert "sizing: fake" in capsys.readouterr().out  # the script's output is streamed


def test_a_spent_budget_still_runs_every_bench_at_its_floor(run_all):
    benches = [run_all.Bench("one", 1, 7), run_all.Bench("two", 1, 9)]
    fake(run_all, "one")
    fake(run_all, "two")
    results = run_all.run_all(benches, budget_s=0, environ=run_all.os.environ.copy())
    assert [r["figures"]["seconds_given"] for r in results.values()] == [7, 9]


def test_failure_and_timeout_exit_1_and_the_table_shows_time_against_allotted(
        run_all, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(run_all, "TIMEOUT_FACTOR", 0.0)
    # The safety net, shrunk for the test (still above a fake's start-up on a busy machine).
    monkeypatch.setattr(run_all, "TIMEOUT_SLACK_S", 8.0)
    monkeypatch.setattr(run_all, "BENCHES", [run_all.Bench("ok", 1, 1),
                                             run_all.Bench("bad", 1, 1),
                                             run_all.Bench("hangs", 1, 1)])
    fake(run_all, "ok")
    fake(run_all, "bad", fail=True)
    fake(run_all, "hangs", sleep=120)
    out = tmp_path / "bench.json"
    assert run_all.main(["--budget", "10", "--out", str(out)]) == 1
    report = json.loads(out.read_text())["benchmarks"]
    assert {n: r["status"] for n, r in report.items()} == {"ok": "ok", "bad": "failed",
                                                           "hangs": "timeout"}
    assert report["hangs"]["seconds"] < 30  # killed by the safety net, not waited for
    table = capsys.readouterr().out.split("=== summary")[1]
    assert "s / allotted" in table and "ratio=1.5, target=2.0, met=False" in table


def test_all_ok_exits_0(run_all, monkeypatch, tmp_path):
    monkeypatch.setattr(run_all, "BENCHES", [run_all.Bench("ok", 1, 1)])
    fake(run_all, "ok")
    assert run_all.main(["--budget", "5", "--out", str(tmp_path / "b.json")]) == 0


def test_registered_default_benches_take_seconds_and_json():
    module = load("run_all")
    for bench in module.selected(module.BENCHES, set()):
        if bench.script.is_file():
            source = bench.script.read_text()
            assert module.takes_seconds(source) and '"--json"' in source, bench.name


def test_fit_clamps_and_says_how_many_fit(capsys):
    sys.path.insert(0, str(ROOT / "bench"))
    common = load("_common")
    assert common.fit("a step", 14.2, 180, 1, 6) == 6
    assert common.fit("a step", 14.2, 60, 1, 6) == 4
    assert common.fit("a step", 100, 60, 1, 6) == 1  # the least that measures
    assert common.fit("one more round", 10, 60, 0, 4, fixed_s=45) == 1
    out = capsys.readouterr().out
    assert "a step takes ~14.2 s: 4 fit in 60 s" in out and "over the share" in out
