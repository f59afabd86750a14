"""hlsguide: cited, complexity-aware guidance for commissioners (Human Learning Systems)."""

import os

# Offline by default: these must be set before chromadb, onnxruntime or huggingface_hub are
# imported, or they phone home (telemetry, DNS look-ups) or try to download models.
for _name, _value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ORT_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
}.items():
    os.environ.setdefault(_name, _value)

__version__ = "0.1.0"
