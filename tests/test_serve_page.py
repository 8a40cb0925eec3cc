"""The chat page at GET /, in headless Chromium (Debian's `chromium`, driven by playwright).

`make test` installs chromium first (scripts/install_browser.sh). The test is skipped, with the
reason, only when no chromium binary can be found.
"""

import shutil

import pytest

ANSWER = """### Solution
```python
def reverse_string(s):
    return s[::-1]
```

### Usage
```python
print(reverse_string("abc"))
```

### Sanity test
```python
assert reverse_string("ab") == "ba"
```"""


def chromium_path():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def page(live_server):
    sync_api = pytest.importorskip("playwright.sync_api")
    exe = chromium_path()
    if exe is None:
        pytest.skip("no chromium binary: run `bash scripts/install_browser.sh` (needs apt-get)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context()
        context.grant_permissions(["clipboard-read", "clipboard-write"],
                                  origin=live_server.url)
        page = context.new_page()
        page.goto(live_server.url + "/")
        # The server needs a key: type it like a user does; the page then lists the models.
        page.fill("#apikey", live_server.key)
        page.dispatch_event("#apikey", "change")
        page.wait_for_function("document.querySelectorAll('#model option').length >= 3")
        yield page
        browser.close()


@pytest.mark.slow
def test_page_lists_models_and_streams_an_answer(page):
    options = page.eval_on_selector_all("#model option", "els => els.map(e => e.value)")
    assert options[0] == "AskBuddyX" and "exp" in options
    assert page.input_value("#model") == "AskBuddyX"
    page.fill("#prompt", "Write a function to reverse a string")
    page.press("#prompt", "Enter")
    page.wait_for_selector(".msg.assistant[data-state=done]", timeout=60_000)
    msg = page.query_selector(".msg.assistant")
    assert int(msg.get_attribute("data-chunks")) > 1, "the answer arrived in several chunks"
    assert msg.query_selector(".body").inner_text().strip()
    assert page.query_selector(".msg.user").inner_text().endswith("reverse a string")
    # the sandbox's verdict on the code, sent after the answer (the tiny model's never runs)
    msg.wait_for_selector(".verdict", timeout=30_000)
    assert "sandbox" in msg.query_selector(".verdict").inner_text()


@pytest.mark.slow
def test_page_renders_three_sections_with_copy_buttons(page):
    page.evaluate("""(text) => {
        const el = document.createElement('div'); el.id = 'rendered';
        document.body.appendChild(el); window.askbuddyx.renderInto(el, text); }""", ANSWER)
    headings = page.eval_on_selector_all("#rendered section[data-heading]",
                                         "els => els.map(e => e.dataset.heading)")
    assert headings == ["Solution", "Usage", "Sanity test"]
    codes = page.eval_on_selector_all("#rendered pre code", "els => els.map(e => e.textContent)")
    assert codes[0].startswith("def reverse_string(s):") and codes[2].startswith("assert")
    buttons = page.query_selector_all("#rendered button.copy")
    assert len(buttons) == 3
    buttons[1].click()
    page.wait_for_function(
        "document.querySelectorAll('#rendered button.copy')[1].textContent === 'Copied'")
    assert page.evaluate("navigator.clipboard.readText()") == 'print(reverse_string("abc"))'


@pytest.mark.slow
def test_page_picks_an_index_and_lists_the_sources(page, live_server, tmp_path):
    from askbuddyx.retrieval.store import CodeIndex
    from tests.retrieval_repo import FUNCTIONS, make_repo

    index = CodeIndex.open(live_server.chats_dir.parent / "outputs" / "indexes" /
                           "pageshop.sqlite", create=True)
    index.update(make_repo(tmp_path / "repo"))
    index.close()
    page.evaluate("window.askbuddyx.loadIndexes()")
    page.wait_for_function("[...document.querySelectorAll('#index option')]"
                           ".some(o => o.value === 'pageshop')")
    page.select_option("#index", "pageshop")
    page.fill("#prompt", "Which products have so few units left that we should order more?")
    page.press("#prompt", "Enter")
    page.wait_for_selector(".msg.assistant:last-child[data-state=done]", timeout=60_000)
    sources = page.eval_on_selector_all(".msg.assistant:last-child .sources li",
                                        "els => els.map(e => e.textContent)")
    path, start, end = FUNCTIONS["items_running_low"]
    assert f"{path}:{start}-{end} (items_running_low)" in sources
    page.select_option("#index", "")
