import json
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
    assert set(doc["dice"]) == {"D1", "D2", "D3", "D4", "overall"} and {n["kind"] for n in doc["negatives"]} == {"llm_sim", "cooperative"}
    assert doc["discriminators"]["forest"]["cv_roc_auc"] > 0.9


def test_score_bad_input(tmp_path, reference_dir):
    missing = _run("score", "--dialogues", str(tmp_path / "none.jsonl"), "--reference", str(reference_dir))
    assert missing.returncode == 2 and "not found" in missing.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "source": "s", "turns": []}\n')
    proc = _run("score", "--dialogues", str(bad), "--reference", str(reference_dir))
    assert proc.returncode == 2 and "line 1" in proc.stderr
    assert _run("score").returncode == 2
