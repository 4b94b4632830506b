package dev.livetune.llm.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW with decoupled weight decay, step for step what {@code torch.optim.AdamW} computes
 * (single-tensor path, no amsgrad): {@code p ← p(1 − lr·wd)}, {@code m ← β₁m + (1−β₁)g},
 * {@code v ← β₂v + (1−β₂)g²}, {@code p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)}.
 *
 * <p>The moments live in this optimizer's own manager, made when it is built, so no step's scope
 * can close them. Updates are in place and must run with gradient recording off.
 */
public final class AdamW implements AutoCloseable {

    private final List<Parameter> params;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final NDManager manager;
    private final NDArray[] m;
    private final NDArray[] v;
    private int steps;

    /**
     * @param params      the tensors to update
     * @param beta1       first-moment decay (0.9)
     * @param beta2       second-moment decay (0.999)
     * @param eps         denominator term (1e-8)
     * @param weightDecay decoupled decay for parameters that take it
     * @param parent      manager whose child owns the moments
     */
    public AdamW(List<Parameter> params, double beta1, double beta2, double eps, double weightDecay, NDManager parent) {
        this.params = List.copyOf(params);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.manager = parent.newSubManager();
        this.m = new NDArray[params.size()];
        this.v = new NDArray[params.size()];
        for (int i = 0; i < m.length; i++) {
            m[i] = manager.zeros(params.get(i).value().getShape());
            v[i] = manager.zeros(params.get(i).value().getShape());
        }
    }

    /** @return optimizer steps taken so far (t) */
    public int steps() {
        return steps;
    }

    /**
     * One update from the gradients accumulated on each parameter.
     *
     * @param lr learning rate for this step
     */
    public void step(double lr) {
        steps++;
        double bc1 = 1 - Math.pow(beta1, steps);
        double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, steps));
        float stepSize = (float) (lr / bc1);
        try (NDScope scope = new NDScope()) {
            for (int i = 0; i < m.length; i++) {
                Parameter p = params.get(i);
                NDArray g = p.value().getGradient();
                if (weightDecay != 0 && p.decay()) {
                    p.value().muli((float) (1 - lr * weightDecay));
                }
                m[i].muli((float) beta1).addi(g.mul((float) (1 - beta1)));
                v[i].muli((float) beta2).addi(g.square().muli((float) (1 - beta2)));
                NDArray denom = v[i].sqrt().divi((float) bc2Sqrt).addi((float) eps);
                p.value().subi(m[i].div(denom).muli(stepSize));
            }
        }
    }

    /** @return the moments by parameter name ({@code name.exp_avg}, {@code name.exp_avg_sq}), for checkpoints */
    public Map<String, NDArray> state() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (int i = 0; i < m.length; i++) {
            out.put(params.get(i).name() + ".exp_avg", m[i]);
            out.put(params.get(i).name() + ".exp_avg_sq", v[i]);
        }
        return out;
    }

    /**
     * Restores moments and the step count saved by {@link #state()}.
     *
     * @throws IllegalArgumentException when a moment is missing or has another shape
     */
    public void restore(Map<String, NDArray> state, int steps) {
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < m.length; i++) {
            NDArray[] saved = {state.get(params.get(i).name() + ".exp_avg"), state.get(params.get(i).name() + ".exp_avg_sq")};
            if (saved[0] == null || saved[1] == null || !saved[0].getShape().equals(m[i].getShape())
                    || !saved[1].getShape().equals(v[i].getShape())) {
                missing.add(params.get(i).name());
                continue;
            }
            saved[0].copyTo(m[i]);
            saved[1].copyTo(v[i]);
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("optimizer state lacks or mismatches " + missing);
        }
        this.steps = steps;
    }

    @Override
    public void close() {
        manager.close();
    }
}
