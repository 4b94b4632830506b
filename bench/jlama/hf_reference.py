#!/usr/bin/env python3
"""NumPy float32 reference of the HF Llama forward pass (greedy), for checking the generated_ids of JlamaDecode
(and of any other runtime) on small F32 checkpoints. Needs only numpy.
Usage: python3 bench/jlama/hf_reference.py MODEL_DIR [N_TOKENS] [comma-separated prompt ids]
Default prompt = JlamaDecode's: BOS(256) + (7+31*i)%256 for i=1..15. Prints the greedy ids (stdout), margins (stderr)."""
import json, struct, sys, numpy as np
d = sys.argv[1]; ntok = int(sys.argv[2]) if len(sys.argv) > 2 else 8
cfg = json.load(open(d + '/config.json'))
f = open(d + '/model.safetensors', 'rb'); n = struct.unpack('<Q', f.read(8))[0]; hdr = json.loads(f.read(n)); base = 8 + n
mm = np.memmap(d + '/model.safetensors', dtype=np.uint8, mode='r')
W = {}
for k, v in hdr.items():
    if k == '__metadata__': continue
    assert v['dtype'] == 'F32', v['dtype']
    s, e = v['data_offsets']; W[k] = np.frombuffer(mm[base + s: base + e], dtype=np.float32).reshape(v['shape'])
H = cfg['hidden_size']; nh = cfg['num_attention_heads']; nkv = cfg['num_key_value_heads']; hd = cfg.get('head_dim', H // nh)
L = cfg['num_hidden_layers']; eps = cfg['rms_norm_eps']; theta = cfg['rope_theta']
emb = W['model.embed_tokens.weight']; lm = W.get('lm_head.weight', emb)
inv = 1.0 / theta ** (np.arange(0, hd, 2, dtype=np.float64) / hd)
def rms(x, w): return (x / np.sqrt((x.astype(np.float64) ** 2).mean(-1, keepdims=True) + eps)).astype(np.float32) * w
def rope(x, pos):  # x [T, h, hd], HF rotate_half
    ang = np.outer(pos, inv); cos = np.cos(ang)[:, None, :].astype(np.float32); sin = np.sin(ang)[:, None, :].astype(np.float32)
    cos = np.concatenate([cos, cos], -1); sin = np.concatenate([sin, sin], -1)
    x1, x2 = x[..., :hd // 2], x[..., hd // 2:]
    return x * cos + np.concatenate([-x2, x1], -1) * sin
K = [[] for _ in range(L)]; V = [[] for _ in range(L)]
def step(ids, start):
    T = len(ids); x = emb[ids].copy(); pos = np.arange(start, start + T)
    for l in range(L):
        p = f'model.layers.{l}.'
        h = rms(x, W[p + 'input_layernorm.weight'])
        q = (h @ W[p + 'self_attn.q_proj.weight'].T).reshape(T, nh, hd)
        k = (h @ W[p + 'self_attn.k_proj.weight'].T).reshape(T, nkv, hd)
        v = (h @ W[p + 'self_attn.v_proj.weight'].T).reshape(T, nkv, hd)
        q = rope(q, pos); k = rope(k, pos)
        K[l].append(k); V[l].append(v); kk = np.concatenate(K[l]); vv = np.concatenate(V[l])
        rep = nh // nkv; kk = np.repeat(kk, rep, 1); vv = np.repeat(vv, rep, 1)
        s = np.einsum('thd,shd->hts', q, kk) / np.sqrt(hd)
        S = kk.shape[0]; mask = (np.arange(S)[None, :] > pos[:, None]); s[:, mask] = -np.inf
        s = np.exp(s - s.max(-1, keepdims=True)); s /= s.sum(-1, keepdims=True)
        o = np.einsum('hts,shd->thd', s, vv).reshape(T, nh * hd)
        x = x + o @ W[p + 'self_attn.o_proj.weight'].T
        h = rms(x, W[p + 'post_attention_layernorm.weight'])
        g = h @ W[p + 'mlp.gate_proj.weight'].T; u = h @ W[p + 'mlp.up_proj.weight'].T
        x = x + ((g / (1 + np.exp(-g))) * u) @ W[p + 'mlp.down_proj.weight'].T
    return rms(x[-1:], W['model.norm.weight'])[0] @ lm.T
prompt = [int(x) for x in sys.argv[3].split(',')] if len(sys.argv) > 3 else [256] + [(7 + 31 * i) % 256 for i in range(1, 16)]
lg = step(prompt, 0); out = []; pos = len(prompt)
for i in range(ntok):
    t = int(np.argmax(lg)); srt = np.sort(lg)[::-1]; out.append(t)
    print(f'tok {i}: {t} logit {srt[0]:.5f} margin-to-2nd {srt[0]-srt[1]:.5f}', file=sys.stderr)
    if i + 1 < ntok: lg = step([t], pos); pos += 1
print(out)
