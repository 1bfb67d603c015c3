"""Package data: what semnetz knows about its encoders (encoders.json) and the background knowledge that
bridges needs to roles (services.jsonl, categories.jsonl). Installed as semnetz.models; read with importlib.resources."""
