import json
import os
import shutil
import subprocess
import sys

from evopersona.humans import dump_dialogues, load_human_corpus, split_humans


def _run(*args: str) -> subprocess.CompletedProcess:
    entry = "from evopersona.cli.app import main; main()"
    return subprocess.run([sys.executable, "-c", entry, *args], check=False, capture_output=True, text=True, timeout=300)


def test_score_dialogues_json(tmp_path, reference_dir):
    _, test = split_humans(load_human_corpus(), 0.2, seed=0)
    path = tmp_path / "d.jsonl"
    dump_dialogues(test[:30], path)
    proc = _run("score", "--dialogues", str(path), "--reference", str(reference_dir), "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["n_dialogues"] == 30 and set(doc["p_human"]) == {"forest", "text", "combined"}
    assert doc["p_human"]["forest"]["mean"] > 0.8 and doc["coverage"]["zscore"]["n"] == 3
    assert set(doc["dice"]) == {"D1", "D2", "D3", "D4", "overall"} and [n["kind"] for n in doc["negatives"]] == ["baseline", "llm_sim", "cooperative"]
    assert doc["discriminators"]["forest"]["cv_roc_auc"] > 0.9


def test_score_reads_a_tau2_results_file(tmp_path, reference_dir):
    """A τ²-bench results document (`simulations` with chat `messages`), control tokens and tool turns
    included: scored on its user turns, and the three kinds of negatives are printed."""
    _, test = split_humans(load_human_corpus(), 0.2, seed=0)
    simulations = [{"id": d.id, "messages": [{"role": "assistant", "content": "Hi! How can I help you today?"}]
                    + [{"role": "tool", "content": '{"ok": true}'}]
                    + [{"role": "assistant" if t.role == "agent" else "user", "content": t.text} for t in d.turns]
                    + [{"role": "user", "content": "###STOP###"}]} for d in test[:12]]
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"info": {"user_info": {"llm": "x"}}, "simulations": simulations}))
    proc = _run("score", "--dialogues", str(path), "--reference", str(reference_dir), "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["n_dialogues"] == 12 and doc["p_human"]["text"]["mean"] > 0.8
    table = _run("score", "--dialogues", str(path), "--reference", str(reference_dir))
    assert table.returncode == 0 and all(f"negatives: {k}" in table.stderr for k in ("baseline", "llm_sim", "cooperative"))


def test_score_bad_input(tmp_path, reference_dir):
    missing = _run("score", "--dialogues", str(tmp_path / "none.jsonl"), "--reference", str(reference_dir))
    assert missing.returncode == 2 and "not found" in missing.stderr
    cases = {
        '{"id": "x", "source": "s", "turns": []}\n': "no dialogue with a user turn",
        '{"id": "x", "turns": [{"role": "user", "text": "hi"}]}\nnot json\n': "line 2: not JSON",
        '{"messages": [{"speaker_id": 1, "content": "hi"}]}\n': "line 1: turns have no role",
        '{"turns": [{"role": "A", "text": "hi"}, {"role": "B", "text": "yo"}]}\n': "line 1: no user turn",
        '{"score": 3}\n': "line 1: not a dialogue",
    }
    for i, (content, message) in enumerate(cases.items()):
        bad = tmp_path / f"bad{i}.jsonl"
        bad.write_text(content)
        proc = _run("score", "--dialogues", str(bad), "--reference", str(reference_dir))
        assert proc.returncode == 2 and message in proc.stderr, (content, proc.stderr)
        assert "Traceback" not in proc.stderr
    assert _run("score").returncode == 2


def test_score_without_reference_uses_the_cached_default_reference(tmp_path, reference_dir):
    from evopersona.evaluation.reference_cache import default_reference_key

    cache = tmp_path / "cache"
    shutil.copytree(reference_dir, cache / f"default-reference-{default_reference_key()}")
    path = tmp_path / "d.jsonl"
    _, test = split_humans(load_human_corpus(), 0.2, seed=0)
    dump_dialogues(test[:20], path)
    proc = subprocess.run([sys.executable, "-c", "from evopersona.cli.app import main; main()", "score", "--dialogues",
                           str(path), "--json"], check=False, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "EVOPERSONA_CACHE_DIR": str(cache)})
    assert proc.returncode == 0, proc.stderr
    assert f"loading the fitness reference from {cache}" in " ".join(proc.stderr.split())
    assert "fitting" not in proc.stderr
    assert {n["kind"] for n in json.loads(proc.stdout)["negatives"]} == {"baseline", "llm_sim", "cooperative"}


def test_the_cache_key_follows_the_environment_and_publish_keeps_a_finished_reference(tmp_path, monkeypatch):
    from evopersona.evaluation.reference_cache import default_reference_folder, publish

    monkeypatch.setenv("EVOPERSONA_CACHE_DIR", str(tmp_path))
    folder = default_reference_folder()
    assert folder.parent == tmp_path and folder == default_reference_folder()
    first, second = tmp_path / "a.partial", tmp_path / "b.partial"
    for scratch, text in ((first, "first"), (second, "second")):
        scratch.mkdir()
        (scratch / "reference.json").write_text(text)
    publish(first, folder)
    publish(second, folder)
    assert (folder / "reference.json").read_text() == "first" and not second.exists()
