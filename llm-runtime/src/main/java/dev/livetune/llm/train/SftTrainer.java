package dev.livetune.llm.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.llm.model.DecoderModel;
import dev.livetune.llm.safetensors.SafetensorsCheckpoint;
import dev.livetune.llm.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Supervised fine-tuning: the causal-LM loss over assistant tokens, averaged over every trained
 * token of an optimizer step (across its micro-batches, as Hugging Face's Trainer averages over
 * {@code num_items_in_batch}), gradient clipping, AdamW and a learning-rate schedule, with
 * checkpoints to resume from. Training computes in float32 on every device: DJL 0.36 converts
 * tensor types outside autograd, so a half-precision forward with float32 LoRA weights (or autocast)
 * cannot be expressed; a float16 model is refused.
 *
 * <p>Reproducible: the batches come from a {@link TrainingPlan} fixed by the seed, and PyTorch's
 * generator (dropout) is reseeded from the seed and the step number before every step, so a run
 * resumed from a checkpoint produces the same bytes as one that never stopped.
 */
public final class SftTrainer {

    /** What a step reports. */
    public record Progress(int step, int totalSteps, double epoch, double loss, double learningRate, double gradNorm,
            long tokens, double tokensPerSecond, double elapsedSeconds, double etaSeconds) {
    }

    /** Receives progress. */
    /** Updates in a row left out for a gradient that is not finite before the run is called diverged. */
    static final int MAX_SKIPPED_IN_A_ROW = 3;

    public interface Listener {
        void onStep(Progress progress);

        default void onResume(int step) {
        }

        default void onCheckpoint(int step, Path dir) {
        }

        /** An update left out because its gradient was not finite (the loss was); {@code parameters} name where. */
        default void onSkippedStep(int step, double gradientNorm, List<String> parameters) {
        }
    }

    /** What a finished run measured. */
    public record Result(int steps, long tokens, long trainedTokens, List<Double> losses, double trainSeconds,
            int resumedFromStep) {

        /** @return input tokens per second of training time */
        public double tokensPerSecond() {
            return trainSeconds > 0 ? tokens / trainSeconds : 0;
        }
    }

    private static final String CHECKPOINT_PREFIX = "checkpoint-";

    private final DecoderModel model;
    private final HyperParameters hp;
    private final Trainable trainable;
    private final Listener listener;
    private final ObjectMapper json = new ObjectMapper();

    public SftTrainer(DecoderModel model, HyperParameters hp, Trainable trainable, Listener listener) {
        if (model.dataType() != ai.djl.ndarray.types.DataType.FLOAT32) {
            // DJL 0.36 converts types under torch::NoGradGuard, so no cast can sit inside the graph that
            // gradients flow back through, and PyTorch's autocast is not exposed.
            throw new IllegalArgumentException("training needs a float32 model (this one is "
                    + model.dataType() + "): load the base with Precision.FLOAT32");
        }
        this.model = model;
        this.hp = hp;
        this.trainable = trainable;
        this.listener = listener;
    }

    /**
     * Trains on {@code samples} for the planned number of steps.
     *
     * @param samples       tokenized conversations (new samples and replay together)
     * @param checkpointDir where to keep checkpoints and find one to resume from; null for none
     * @throws InvalidTrainingInputException when the loss stops being finite (the settings diverge)
     */
    public Result train(List<TokenizedSample> samples, Path checkpointDir) {
        TrainingPlan plan = TrainingPlan.of(samples, hp);
        List<Parameter> params = trainable.parameters();
        Engine engine = Engine.getInstance();
        try (AdamW adam = new AdamW(params, hp.adamBeta1(), hp.adamBeta2(), hp.adamEpsilon(), hp.weightDecay(),
                model.manager())) {
            List<Double> losses = new ArrayList<>();
            long tokens = 0;
            long trained = 0;
            double priorSeconds = 0;
            int start = 0;
            Optional<Path> resume = checkpointDir == null ? Optional.empty() : latestCheckpoint(checkpointDir);
            if (resume.isPresent()) {
                ObjectNode state = restore(resume.get(), params, adam);
                start = state.get("step").asInt();
                state.get("losses").forEach(l -> losses.add(l.asDouble()));
                tokens = state.get("tokens").asLong();
                trained = state.get("trained_tokens").asLong();
                priorSeconds = state.get("train_seconds").asDouble();
                listener.onResume(start);
            }
            int total = plan.totalSteps();
            int warmup = hp.warmupSteps(total);
            trainable.setTraining(true);
            long began = System.nanoTime();
            int skippedInARow = 0;
            for (int step = start; step < total; step++) {
                engine.setRandomSeed((int) (hp.seed() * 31 + step));
                List<List<int[]>> micro = plan.steps().get(step);
                long stepTrained = 0;
                for (List<int[]> batch : micro) {
                    for (int[] seq : batch) {
                        for (int i : seq) {
                            stepTrained += samples.get(i).trainedTokens();
                            tokens += samples.get(i).ids().length;
                        }
                    }
                }
                trained += stepTrained;
                double loss = 0;
                double lr = hp.learningRate() * hp.scheduler().factor(step, warmup, total);
                double norm;
                try (NDScope scope = new NDScope()) {
                    for (List<int[]> batch : micro) {
                        for (List<int[]> pass : TrainingPlan.passes(batch, samples)) {
                            loss += backward(pass, samples, stepTrained, engine);
                        }
                    }
                    if (!Double.isFinite(loss)) {
                        throw new InvalidTrainingInputException("training diverged: the loss is " + loss + " at step "
                                + (step + 1) + "; lower learning_rate or max_grad_norm");
                    }
                    norm = gradientNorm(params);
                    if (Double.isFinite(norm)) {
                        clip(params, norm);
                        adam.step(lr);
                        skippedInARow = 0;
                    } else {
                        // A finite loss with a gradient that is not (an overflow): the update would make every
                        // weight NaN. Left out, as torch.amp's GradScaler does, unless it keeps happening.
                        if (++skippedInARow >= MAX_SKIPPED_IN_A_ROW) {
                            throw new InvalidTrainingInputException("training diverged: the gradient norm is " + norm
                                    + " at step " + (step + 1) + " and the " + (MAX_SKIPPED_IN_A_ROW - 1)
                                    + " steps before; lower learning_rate or max_grad_norm");
                        }
                        listener.onSkippedStep(step + 1, norm, nonFinite(params));
                    }
                    zeroGradients(params);
                }
                losses.add(loss);
                int done = step + 1;
                double elapsed = priorSeconds + (System.nanoTime() - began) / 1e9;
                double perStep = (System.nanoTime() - began) / 1e9 / (done - start);
                listener.onStep(new Progress(done, total, plan.epochs()[step], loss, lr, norm, tokens,
                        tokens / Math.max(elapsed, 1e-9), elapsed, perStep * (total - done)));
                if (checkpointDir != null && hp.saveSteps() > 0 && done % hp.saveSteps() == 0 && done < total) {
                    checkpoint(checkpointDir, done, params, adam, losses, tokens, trained, elapsed);
                }
            }
            trainable.setTraining(false);
            double seconds = priorSeconds + (System.nanoTime() - began) / 1e9;
            return new Result(total, tokens, trained, List.copyOf(losses), seconds, start);
        }
    }

    /**
     * Accumulates into every parameter's gradient the gradient of the mean loss over the trained tokens
     * of {@code rows} (one sample per row, right-padded): what one optimizer step of a batch computes.
     *
     * @return that mean loss
     */
    public double accumulateGradients(List<TokenizedSample> rows) {
        return accumulateGradients(rows, true);
    }

    /**
     * @param inPasses as a training step computes it ({@link TrainingPlan#passes}), or else in one pass
     *                 with every row padded to the longest
     */
    double accumulateGradients(List<TokenizedSample> rows, boolean inPasses) {
        List<int[]> batch = new ArrayList<>();
        long trainedTokens = 0;
        for (int i = 0; i < rows.size(); i++) {
            batch.add(new int[] {i});
            trainedTokens += rows.get(i).trainedTokens();
        }
        double loss = 0;
        try (NDScope scope = new NDScope()) {
            for (List<int[]> pass : inPasses ? TrainingPlan.passes(batch, rows) : List.of(batch)) {
                loss += backward(pass, rows, trainedTokens, Engine.getInstance());
            }
        }
        return loss;
    }

    /** Forward and backward over one micro-batch; returns its share of the step's mean loss. */
    private double backward(List<int[]> batch, List<TokenizedSample> samples, long stepTrained, Engine engine) {
        int rowsInBatch = batch.size();
        int n = 0;
        for (int[] seq : batch) {
            n = Math.max(n, TrainingPlan.length(seq, samples));
        }
        long[] ids = new long[rowsInBatch * n];
        int[][] positions = new int[rowsInBatch][n];
        int[][] segments = new int[rowsInBatch][n];
        List<Long> rows = new ArrayList<>();
        List<Long> targets = new ArrayList<>();
        for (int b = 0; b < rowsInBatch; b++) {
            int at = 0;
            int segment = 0;
            for (int i : batch.get(b)) {
                TokenizedSample s = samples.get(i);
                for (int t = 0; t < s.ids().length; t++) {
                    ids[b * n + at + t] = s.ids()[t];
                    positions[b][at + t] = t;
                    segments[b][at + t] = segment;
                    if (t > 0 && s.trained()[t]) {
                        rows.add((long) b * n + at + t - 1);
                        targets.add((long) s.ids()[t]);
                    }
                }
                at += s.ids().length;
                segment++;
            }
            for (int t = at; t < n; t++) {
                segments[b][t] = -1;
            }
        }
        try (NDManager m = model.manager().newSubManager();
                NDScope scope = new NDScope();
                GradientCollector collector = engine.newGradientCollector()) {
            NDArray logits = model.trainingLogits(trainable.weights(), m.create(ids, new Shape(rowsInBatch, n)),
                    positions, segments, m.create(toArray(rows)), trainable.lora());
            // The divisor is a tensor of this step's manager, not a Java number: DJL turns a number into a
            // scalar tensor over a direct buffer and closes it when the op returns, while autograd keeps it
            // for the backward pass (see FullModelParameters.norm, where that made gradients garbage).
            NDArray loss = tokenLossSum(logits, m.create(toArray(targets))).div(m.create((float) stepTrained));
            collector.backward(loss);
            return loss.getFloat();
        }
    }

    /**
     * @param logits  {@code [m, vocab]}
     * @param targets {@code [m]} int64 token ids
     * @return the summed cross-entropy {@code −Σ log softmax(logits)[target]}, a scalar
     */
    public static NDArray tokenLossSum(NDArray logits, NDArray targets) {
        long m = targets.getShape().get(0);
        return logits.logSoftmax(-1).gather(targets.reshape(m, 1), 1).sum().neg();
    }

    private static long[] toArray(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).toArray();
    }

    /** Sets every gradient to zero, as torch's {@code zero_()}: {@code g - g} would leave an infinite gradient NaN. */
    static void zeroGradients(List<Parameter> params) {
        for (Parameter p : params) {
            JniUtils.zeroGrad((PtNDArray) p.value());
        }
    }

    /**
     * Scales the gradients down to the global norm {@code max_grad_norm} when {@code norm} exceeds it,
     * as torch's {@code clip_grad_norm_}.
     */
    private void clip(List<Parameter> params, double norm) {
        if (hp.maxGradNorm() > 0) {
            double coef = hp.maxGradNorm() / (norm + 1e-6);
            if (coef < 1) {
                for (Parameter p : params) {
                    p.value().getGradient().muli((float) coef);
                }
            }
        }
    }

    /**
     * The global L2 norm of the gradients, as torch's {@code clip_grad_norm_} defines it, computed so
     * that large finite gradients do not overflow: squares are summed in float64, where even the
     * largest float32 squared (about 1e77) is far from infinity. Summing {@code g²} in float32 reached
     * infinity for gradients above about 1e19, which clipping handles, and made such a step look
     * non-finite. One read of the result for all the tensors, not one per tensor.
     *
     * @return the norm; infinite or NaN only when a gradient holds an infinity or a NaN
     */
    static double gradientNorm(List<Parameter> params) {
        try (NDScope scope = new NDScope()) {
            NDList squares = new NDList(params.size());
            for (Parameter p : params) {
                squares.add(p.value().getGradient().toType(DataType.FLOAT64, false).square().sum());
            }
            return Math.sqrt(NDArrays.stack(squares).sum().getDouble());
        }
    }

    /** @return the parameters whose gradient holds an infinity or a NaN */
    static List<String> nonFinite(List<Parameter> params) {
        List<String> out = new ArrayList<>();
        for (Parameter p : params) {
            NDArray g = p.value().getGradient();
            if (g.isInfinite().any().getBoolean() || g.isNaN().any().getBoolean()) {
                out.add(p.name());
            }
        }
        return out;
    }

    private void checkpoint(Path root, int step, List<Parameter> params, AdamW adam, List<Double> losses, long tokens,
            long trained, double seconds) {
        try {
            Files.createDirectories(root);
            Path tmp = Files.createTempDirectory(root, ".checkpoint");
            Map<String, NDArray> values = new LinkedHashMap<>();
            params.forEach(p -> values.put(p.name(), p.value()));
            SafetensorsWriter writer = new SafetensorsWriter(json);
            writer.write(tmp.resolve("parameters.safetensors"), values, Map.of());
            writer.write(tmp.resolve("optimizer.safetensors"), adam.state(), Map.of());
            ObjectNode state = json.createObjectNode();
            state.put("step", step);
            state.put("optimizer_steps", adam.steps());
            state.put("tokens", tokens);
            state.put("trained_tokens", trained);
            state.put("train_seconds", seconds);
            ArrayNode l = state.putArray("losses");
            losses.forEach(l::add);
            json.writeValue(tmp.resolve("state.json").toFile(), state);
            Path dir = root.resolve(CHECKPOINT_PREFIX + step);
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            // Keep only the newest checkpoint.
            try (Stream<Path> old = Files.list(root)) {
                for (Path p : old.filter(p -> stepOf(p) >= 0 && stepOf(p) < step).toList()) {
                    deleteTree(p);
                }
            }
            listener.onCheckpoint(step, dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + step + " under " + root, e);
        }
    }

    private ObjectNode restore(Path dir, List<Parameter> params, AdamW adam) {
        try {
            ObjectNode state = (ObjectNode) json.readTree(dir.resolve("state.json").toFile());
            try (NDManager m = model.manager().newSubManager()) {
                Map<String, NDArray> saved = load(dir.resolve("parameters.safetensors"), m);
                for (Parameter p : params) {
                    NDArray v = saved.get(p.name());
                    if (v == null || !v.getShape().equals(p.value().getShape())) {
                        throw new InvalidTrainingInputException(dir + ": checkpoint does not match this run ("
                                + p.name() + "); delete it to start over");
                    }
                    v.copyTo(p.value());
                }
                adam.restore(load(dir.resolve("optimizer.safetensors"), m), state.get("optimizer_steps").asInt());
            }
            return state;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoint " + dir, e);
        }
    }

    private Map<String, NDArray> load(Path file, NDManager m) {
        SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.openFile(file, json);
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (String name : ckpt.names()) {
            out.put(name, ckpt.loadFloat32(name, m));
        }
        return out;
    }

    /** @return the newest complete checkpoint under {@code root} */
    public static Optional<Path> latestCheckpoint(Path root) {
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(p -> stepOf(p) >= 0 && Files.isRegularFile(p.resolve("state.json")))
                    .max(Comparator.comparingInt(SftTrainer::stepOf));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int stepOf(Path p) {
        String name = p.getFileName().toString();
        if (!name.startsWith(CHECKPOINT_PREFIX)) {
            return -1;
        }
        try {
            return Integer.parseInt(name.substring(CHECKPOINT_PREFIX.length()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Deletes a checkpoint directory (or any directory tree) if it exists. */
    public static void deleteCheckpoints(Path root) throws IOException {
        deleteTree(root);
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
