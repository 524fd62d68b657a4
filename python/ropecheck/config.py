"""Config: a resolved RoPE configuration, read the way `ropecheck config` reads it."""
import json
import os

from . import _native


class Config:
    """A RoPE configuration: Hugging Face config.json keys (plus "layout": "half" |
    "interleaved"), resolved by the library (model-family defaults, validation).

        Config({"head_dim": 128, "rope_theta": 500000.0})
        Config.from_preset("llama-3.1-8b")
        Config.from_hf_config("path/to/config.json", layer_type="sliding_attention")

    A bad key raises ValueError naming it and what is accepted."""

    def __init__(self, hf_keys, layer_type=None):
        if isinstance(hf_keys, _native.NativeConfig):
            self._native = hf_keys
            return
        if not isinstance(hf_keys, dict):
            raise TypeError(f"Config: expected a dict of Hugging Face keys, got "
                            f"{type(hf_keys).__name__} (use Config.from_preset or "
                            "Config.from_hf_config for names and files)")
        try:
            text = json.dumps(hf_keys, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise ValueError(f"config: not JSON data: {error}") from None
        self._native = _native.config_from_json(text, _layer(layer_type))

    @classmethod
    def from_preset(cls, name, layer_type=None):
        """A built-in preset (`ropecheck presets`; ropecheck.presets())."""
        if not isinstance(name, str):
            raise TypeError(f"preset: expected a name, got {type(name).__name__}")
        return cls(_native.config_from_preset(name, _layer(layer_type)))

    @classmethod
    def from_hf_config(cls, path_or_dict, layer_type=None):
        """A model's config.json (a path), or its keys (a dict)."""
        if isinstance(path_or_dict, dict):
            return cls(path_or_dict, layer_type)
        if not isinstance(path_or_dict, (str, os.PathLike)):
            raise TypeError("from_hf_config: expected a path or a dict, got "
                            f"{type(path_or_dict).__name__}")
        path = os.fspath(path_or_dict)
        try:
            with open(path, "rb") as file:
                raw = file.read((64 << 20) + 1)
        except OSError as error:
            raise ValueError(f"config: {path} cannot be read: {error.strerror}") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"config: {path} is not UTF-8 text") from None
        return cls(_native.config_from_json(text, _layer(layer_type)))

    def resolved(self, seq_len=None):
        """Every RoPE parameter with its value and origin, as `ropecheck config --json`."""
        return json.loads(self._native.resolved_json(seq_len))

    @property
    def head_dim(self):
        return self._native.head_dim

    @property
    def rotary_dim(self):
        return self._native.rotary_dim

    @property
    def pairs(self):
        return self._native.pairs

    @property
    def rope_theta(self):
        return self._native.rope_theta

    @property
    def layout(self):
        return self._native.layout

    @property
    def rope_type(self):
        return self._native.rope_type

    @property
    def preset(self):
        """The preset's name, or None."""
        return self._native.preset or None

    @property
    def layer_type(self):
        return self._native.layer_type

    @property
    def hf_keys(self):
        """The Hugging Face-style keys this config was read from."""
        return json.loads(self._native.hf_keys_json)

    def request(self):
        """The config part of a `ropecheck rotate` request."""
        out = {"preset": self.preset} if self.preset else {"config": self.hf_keys}
        if self.layer_type != "full_attention":
            out["layer_type"] = self.layer_type
        return out

    def __repr__(self):
        if self.preset:
            return f"Config.from_preset({self.preset!r})"
        return f"Config({self.hf_keys!r})"


def _layer(layer_type):
    if layer_type is None:
        return "full_attention"
    if not isinstance(layer_type, str):
        raise TypeError(f"layer_type: expected a string, got {type(layer_type).__name__}")
    return layer_type


def as_config(value):
    """A Config from a Config, a preset name or a dict of keys."""
    if isinstance(value, Config):
        return value
    if isinstance(value, str):
        return Config.from_preset(value)
    if isinstance(value, dict):
        return Config(value)
    raise TypeError(f"cfg: expected a ropecheck.Config, a preset name or a dict, got "
                    f"{type(value).__name__}")
