#!/usr/bin/env python3
"""Per-token NLL of token windows in Hugging Face transformers (torch CPU, float32, eager attention).

    python engines/peers/hf_nll.py MODEL_DIR < windows.json > nll.json

stdin: a JSON list of windows (lists of token ids, BOS included). stdout: {"transformers", "torch",
"windows": [{"nll": [NLL of token 1..n-1 given its prefix], "rope": {"inv_freq", "attention_scaling"}}]}.
Each window is one forward pass from position 0, so transformers picks LongRoPE's short or long set
from that window's length, as `generate` on a fresh prompt would.
"""

import json
import sys
import warnings

warnings.filterwarnings("ignore")

import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoModelForCausalLM  # noqa: E402


def main() -> int:
    model_dir = sys.argv[1]
    windows = json.load(sys.stdin)
    torch.set_num_threads(1)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager")
    model.eval()
    out = []
    with torch.no_grad():
        for w in windows:
            ids = torch.tensor([w], dtype=torch.long)
            logits = model(input_ids=ids).logits[0].double()
            logp = torch.log_softmax(logits[:-1], dim=-1)
            nll = -logp.gather(1, ids[0, 1:].unsqueeze(1)).squeeze(1)
            rot = model.model.rotary_emb
            out.append({"nll": [float(x) for x in nll],
                        "rope": {"inv_freq": [float(x) for x in rot.inv_freq],
                                 "attention_scaling": float(rot.attention_scaling)}})
    json.dump({"transformers": transformers.__version__, "torch": torch.__version__, "windows": out}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
