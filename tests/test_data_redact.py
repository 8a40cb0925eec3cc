"""Secret redaction: every listed kind is caught, ordinary code is left alone, and (property
tests) secrets planted anywhere in random records never reach data/training_ready/."""

import base64
import json
import string
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from askbuddyx.data.build_text import build_training_text
from askbuddyx.data.fetch import fetch_sources
from askbuddyx.data.prepare import PrepareConfig, prepare_dataset
from askbuddyx.data.redact import REDACTED, SECRET_PATTERNS, redact_record, redact_secrets

ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "_-"


def s(alphabet, n, m=None):
    return st.text(alphabet=alphabet, min_size=n, max_size=m or n)


def d(alphabet, n, m=None):
    """Like `s`, ending in a digit: the planted context has no digits, so a secret drawn this
    way can't also occur in the context by chance (where it would rightly not be redacted)."""
    return st.tuples(s(alphabet, n - 1, (m or n) - 1), s(string.digits, 1)).map("".join)


def b64url(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def _pem(kind_body):
    kind, lines = kind_body
    tail = " BLOCK" if kind == "PGP" else ""
    label = f"{kind} PRIVATE KEY{tail}".strip()
    text = f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----"
    return text, lines


_PLACEHOLDERS = {"secret", "password", "passwd", "pass", "changeme", "change_me", "example",
                 "dummy", "test", "placeholder", "none", "null"}

# Each strategy draws (text to plant, [substrings that must not survive]).
SECRET_KINDS = {
    "private_key_block": st.tuples(
        st.sampled_from(["RSA", "DSA", "EC", "OPENSSH", "ENCRYPTED", "", "PGP"]),
        st.lists(d(B64, 16, 64), min_size=1, max_size=4)).map(_pem),
    "aws_access_key_id": st.tuples(st.sampled_from(["AKIA", "ASIA"]), d(UPPER_DIGITS, 16))
        .map(lambda t: (t[0] + t[1], [t[0] + t[1]])),
    "aws_secret_access_key": st.tuples(
        st.sampled_from(["aws_secret_access_key = ", "AWS_SECRET_ACCESS_KEY=",
                         '"SecretAccessKey": ']),
        st.sampled_from(['"', "'"]), d(B64, 40))
        .map(lambda t: (f"{t[0]}{t[1]}{t[2]}{t[1]}", [t[2]])),
    "openai_api_key": st.one_of(d(ALNUM, 32, 60).map(lambda b: "sk-" + b),
                                d(URLSAFE, 40, 80).map(lambda b: "sk-proj-" + b))
        .map(lambda k: (k, [k])),
    "github_token": st.tuples(st.sampled_from("pousr"), d(ALNUM, 36))
        .map(lambda t: (f"gh{t[0]}_{t[1]}", [f"gh{t[0]}_{t[1]}"])),
    "github_fine_grained_pat": st.tuples(s(ALNUM, 22), d(ALNUM, 59))
        .map(lambda t: (f"github_pat_{t[0]}_{t[1]}", [f"github_pat_{t[0]}_{t[1]}"])),
    "google_api_key": d(URLSAFE, 35).map(lambda b: ("AIza" + b, ["AIza" + b])),
    "slack_token": st.tuples(st.sampled_from("abprs"), s(string.digits, 10, 13),
                             s(string.digits, 10, 13), s(ALNUM, 24))
        .map(lambda t: (f"xox{t[0]}-{t[1]}-{t[2]}-{t[3]}", [f"xox{t[0]}-{t[1]}-{t[2]}-{t[3]}"])),
    "stripe_secret_key": st.tuples(st.sampled_from(["sk", "rk"]), d(ALNUM, 24, 99))
        .map(lambda t: (f"{t[0]}_live_{t[1]}", [f"{t[0]}_live_{t[1]}"])),
    "huggingface_token": d(ALNUM, 34).map(lambda b: ("hf_" + b, ["hf_" + b])),
    "jwt": st.tuples(st.dictionaries(s(string.ascii_lowercase, 1, 6), s(ALNUM, 1, 12),
                                     min_size=1, max_size=3),
                     d(URLSAFE, 43))
        .map(lambda t: (f"{b64url({'alg': 'HS256', 'typ': 'JWT'})}.{b64url(t[0])}.{t[1]}",
                        [f"{b64url(t[0])}.{t[1]}"])),
    "password_assignment": st.tuples(
        st.sampled_from(["password = ", "db_password=", "PASSWORD: ", '"password": ',
                         "self.passwd = ", "passphrase := "]),
        st.sampled_from(['"', "'"]),
        # a digit somewhere: the context has none, so the value can't occur there by chance
        # and 8+ characters, so it can't be a piece of the other records' text either
        st.tuples(s(ALNUM + "!@#%^&*_-+.", 4, 20), s(string.digits, 1), s(ALNUM + "!@#%^&*", 3, 9))
        .map("".join).filter(lambda v: v.lower() not in _PLACEHOLDERS))
        .map(lambda t: (f"{t[0]}{t[1]}{t[2]}{t[1]}", [t[2]])),
    "token_assignment": st.tuples(
        st.sampled_from(["token = ", "api_key=", "ACCESS_TOKEN = ", '"client_secret": ',
                         "auth_token: ", "self.apikey = "]),
        st.sampled_from(['"', "'"]),
        s(URLSAFE, 8, 40), s(string.ascii_letters, 1), s(string.digits, 1))
        .map(lambda t: (f"{t[0]}{t[1]}{t[3]}{t[2]}{t[4]}{t[1]}", [t[3] + t[2] + t[4]])),
}
assert set(SECRET_KINDS) == set(SECRET_PATTERNS), "every pattern has a property test"

# Context around a planted secret: no digits, so a planted value can't appear in it by chance.
CONTEXT = st.text(alphabet=string.ascii_letters + " \n.,;:()[]{}#'\"=_-", max_size=60)
SEPARATOR = st.sampled_from([" ", "\n", "\t", "(", ", ", ": ", "= ", "'", '"', "`"])


@st.composite
def planted_text(draw, kind=None):
    kind = kind or draw(st.sampled_from(sorted(SECRET_KINDS)))
    text, secrets = draw(SECRET_KINDS[kind])
    before, after = draw(CONTEXT), draw(CONTEXT)
    sep1, sep2 = draw(SEPARATOR), draw(SEPARATOR)
    if kind.endswith("_assignment") or kind == "aws_secret_access_key":
        sep1, sep2 = "\n", "\n"  # an assignment starts its own line
    return f"{before}{sep1}{text}{sep2}{after}", secrets, kind


# ---------------------------------------------------------------- examples per pattern

EXAMPLES = {
    "private_key_block": "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n"
                         "-----END RSA PRIVATE KEY-----",
    "aws_access_key_id": "AKIA" + "ABCDEFGHIJKLMNOP",
    "aws_secret_access_key": "aws_secret_access_key = '" + "wJalrXUtnFEMI/K7MDENG/"
                             + "b" * 18 + "'",
    "openai_api_key": "sk-" + "a1" * 20,
    "github_token": "ghp_" + "b" * 36,
    "github_fine_grained_pat": "github_pat_" + "11AB" * 20,
    "google_api_key": "AIza" + "c" * 35,
    "slack_token": "xoxb-" + "1234567890-0987654321-" + "AbCd" * 6,
    "stripe_secret_key": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "huggingface_token": "hf_" + "Ab3" * 11 + "x",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9",
    "password_assignment": 'db_password = "hunter2"',
    "token_assignment": 'API_TOKEN = "abc123def456ghi789"',
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_each_pattern_is_redacted_and_counted(name):
    text, counts = redact_secrets(f"x = 1\n{EXAMPLES[name]}\n# keep this")
    assert REDACTED in text and text.startswith("x = 1\n") and text.endswith("# keep this")
    assert counts == {name: 1}


def test_unquoted_aws_secret_key_in_an_env_file():
    key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    out, counts = redact_secrets(f"AWS_ACCESS_KEY_ID=x\nAWS_SECRET_ACCESS_KEY={key}\n")
    assert key not in out and counts == {"aws_secret_access_key": 1}


def test_assignments_keep_their_shape():
    assert redact_secrets('password = "hunter2"')[0] == 'password = "[REDACTED]"'
    assert redact_secrets('{"token": "tok_9a8b7c6d5e"}')[0] == '{"token": "[REDACTED]"}'


def test_unterminated_private_key_is_redacted_to_the_blank_line():
    text = "key:\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg\nAoGAQ\n\nprint('ok')"
    out, counts = redact_secrets(text)
    assert out == "key:\n[REDACTED]\n\nprint('ok')" and counts == {"private_key_block": 1}


ORDINARY_CODE = [
    "import sklearn\nfrom sklearn.model_selection import train_test_split",
    "ask = 'task-1234'\nbranch = 'risk-assessment-for-the-whole-project-in-2024'",
    "sha = 'e3b0c44298fc1c149afbf4c8996fb924'",
    'assert hashlib.sha256(b"").hexdigest() == '
    '"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"',
    'expected_hash = "d41d8cd98f00b204e9800998ecf8427e"\n'
    'commit = "9249098a1b2c3d4e5f60718293a4b5c6d7e8f901"',
    'uuid = "123e4567-e89b-12d3-a456-426614174000"',
    'password = input("Password: ")\nif password == "letmein":\n    pass',
    "def check_password(password):\n    return len(password) >= 8",
    'password_hint = "first pet"\nconnect(password=password)',
    'user = {"id": 7, "name": "Ada", "password": "secret"}\npassword = "<your password>"',
    'token = tokens[0]\nif token == "(":\n    token = ")"',
    'secret_word = "python"\nmax_tokens = 256\nMAX_TOKENS=512',
    'key = "abc12345"\napi_key = os.environ["API_KEY"]\ntoken = "Bearer"',
    'hf_hub_download(repo_id="Qwen/Qwen2.5-Coder-0.5B", filename="config.json")',
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----",
    "xoxo = 'hugs and kisses'\nghost_ = 1\nsk_test = 0\naiza = 'AIzaShort'",
    "b64 = 'eyJhbGciOiJub25lIn0'\nencoded = base64.b64encode(b'data').decode()",
]


@pytest.mark.parametrize("code", ORDINARY_CODE)
def test_ordinary_code_is_untouched(code):
    assert redact_secrets(code) == (code, {})


def test_bundled_datasets_have_no_redactions(root):
    for name in ("code_tasks.jsonl", "curated_runnable_first.jsonl"):
        for line in (root / "assets" / "datasets" / name).read_text().splitlines():
            record = json.loads(line)
            assert redact_record(record)[1] == {}, record["instruction"]


# ---------------------------------------------------------------- property tests


@settings(max_examples=300, deadline=None)
@given(planted_text())
def test_planted_secret_never_survives_redaction(planted):
    text, secrets, kind = planted
    out, counts = redact_secrets(text)
    for secret in secrets:
        assert secret not in out, kind
    assert counts[kind] >= 1


def _chat(fmt, user, answer, system):
    if fmt == "chatml":
        return {"messages": [{"role": "system", "content": system},
                             {"role": "user", "content": user},
                             {"role": "assistant", "content": answer}]}
    return {"conversations": [{"from": "system", "value": system},
                              {"from": "human", "value": user},
                              {"from": "gpt", "value": answer}]}


@st.composite
def planted_files(draw):
    """Two sources in random formats, secrets of random kinds in random fields and records."""
    files, secrets = [], []
    for index, fmt in enumerate(draw(st.lists(st.sampled_from(["alpaca", "chatml", "sharegpt"]),
                                              min_size=2, max_size=2))):
        rows = []
        for i in range(draw(st.integers(4, 8))):
            fields = {"instruction": f"Write function number {index}{i} for case {i * 31}",
                      "input": "", "output": f"def f{index}_{i}():\n    return {i}",
                      "system": "You are helpful."}
            for _ in range(draw(st.integers(0, 2))):
                text, planted, _ = draw(planted_text())
                target = draw(st.sampled_from(["instruction", "input", "output", "system"]))
                fields[target] += "\n" + text
                secrets += planted
            if fmt == "alpaca":
                rows.append({k: fields[k] for k in ("instruction", "input", "output")})
            else:
                user = fields["instruction"] + ("\n\n" + fields["input"] if fields["input"] else "")
                rows.append(_chat(fmt, user, fields["output"], fields["system"]))
        files.append(rows)
    return files, secrets


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planted_files())
def test_planted_secrets_never_reach_training_ready_files(tokenizer, planted):
    files, secrets = planted
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sources = []
        for i, rows in enumerate(files):
            path = tmp / f"src{i}.jsonl"
            path.write_text("".join(json.dumps(r) + "\n" for r in rows))
            sources.append({"name": f"src{i}", "kind": "local", "path": str(path)})
        fetch_sources(sources, tmp / "raw")
        config = PrepareConfig(val_fraction=0.3, curated_holdout=0, min_val=1,
                               max_seq_length=1024, max_bad_fraction=1.0)
        prepare_dataset(tmp / "raw", tmp / "processed", sources, tokenizer, config,
                        report_path=tmp / "report.md")
        build_training_text(tmp / "processed", tmp / "training_ready")
        outputs = sorted((tmp / "training_ready").glob("*.jsonl"))
        outputs += sorted((tmp / "processed").glob("*.jsonl")) + [tmp / "report.md"]
        for path in outputs:
            raw = path.read_text()
            texts = [raw] if path.suffix == ".md" else [raw] + [
                text for line in raw.splitlines() for text in _strings(json.loads(line))]
            for secret in secrets:
                assert not any(secret in text for text in texts), (path.name, secret)


def _strings(value):
    """Every string inside a decoded JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


@pytest.mark.parametrize("text", [
    "key" * 50_000 + ' password = "abc123xyz"',
    "eyJ" * 50_000,
    "a" * 200_000 + ' token = "x"',
    "-----BEGIN RSA PRIVATE KEY-----\n" * 2_000,
    "sk-" * 50_000 + "xoxb-" * 20_000 + "hf_" * 50_000,
])
def test_long_adversarial_lines_redact_in_linear_time(text):
    start = time.perf_counter()
    redact_secrets(text)
    assert time.perf_counter() - start < 2.0  # quadratic backtracking would take minutes
