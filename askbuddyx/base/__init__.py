"""Base models: where the pipeline's base model comes from.

- `fetch`: the `fetch_model` stage's library call (a hub download, a local copy, or a
  conversion of a GGUF file that a package ships).
- `tiny`: the embedded 0.4M-parameter tiny Qwen2 that the tests and the `tiny` profile use.
"""
