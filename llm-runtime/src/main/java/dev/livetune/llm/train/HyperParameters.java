package dev.livetune.llm.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything that shapes a training run, under the names Hugging Face's {@code TrainingArguments},
 * TRL's {@code SFTConfig} and PEFT's {@code LoraConfig} use, so a {@code hyper.json} reads like the
 * Python a practitioner already knows. The defaults suit teaching a handful of facts from about a
 * hundred chat samples: a rank-16 adapter on every projection, a high learning rate, enough epochs
 * to memorise, and no dropout (see the trainer README for how they were chosen).
 *
 * @param numTrainEpochs            {@code num_train_epochs}: passes over the data (ignored when maxSteps &gt; 0)
 * @param maxSteps                  {@code max_steps}: optimizer steps in all, or -1 to use epochs
 * @param learningRate              {@code learning_rate}: peak learning rate
 * @param batchSize                 {@code per_device_train_batch_size}: sequences per micro-batch
 * @param gradientAccumulationSteps {@code gradient_accumulation_steps}: micro-batches per optimizer step
 * @param scheduler                 {@code lr_scheduler_type}
 * @param warmupRatio               {@code warmup_ratio}: share of steps spent warming up
 * @param weightDecay               {@code weight_decay}: decoupled (AdamW)
 * @param adamBeta1                 {@code adam_beta1}
 * @param adamBeta2                 {@code adam_beta2}
 * @param adamEpsilon               {@code adam_epsilon}
 * @param maxGradNorm               {@code max_grad_norm}: clip the global gradient norm (0 = off)
 * @param seed                      {@code seed}: same seed, same data, same machine ⇒ same bytes out
 * @param saveSteps                 {@code save_steps}: checkpoint every this many steps (0 = never)
 * @param maxLength                 {@code max_length} (TRL): tokens per sequence; longer samples are cut
 * @param packing                   {@code packing} (TRL): several samples per sequence instead of padding
 * @param groupByLength             {@code group_by_length}: batch samples of similar length together, so
 *                                  little of a step is padding (each epoch still shuffled, see {@link TrainingPlan})
 * @param r                         {@code r}: LoRA rank
 * @param loraAlpha                 {@code lora_alpha}
 * @param loraDropout               {@code lora_dropout}
 * @param targetModules             {@code target_modules}: projection names ({@code "all-linear"} = all seven)
 * @param useRslora                 {@code use_rslora}: scale alpha/√r instead of alpha/r
 * @param fullFinetune              {@code full_finetune}: train every weight and write a whole model
 * @param probeMaxNewTokens         {@code probe_max_new_tokens}: answer length for probes
 * @param explicit                  the keys the file set (the rest are defaults)
 */
public record HyperParameters(
        double numTrainEpochs,
        int maxSteps,
        double learningRate,
        int batchSize,
        int gradientAccumulationSteps,
        LrSchedule scheduler,
        double warmupRatio,
        double weightDecay,
        double adamBeta1,
        double adamBeta2,
        double adamEpsilon,
        double maxGradNorm,
        long seed,
        int saveSteps,
        int maxLength,
        boolean packing,
        boolean groupByLength,
        int r,
        double loraAlpha,
        double loraDropout,
        List<String> targetModules,
        boolean useRslora,
        boolean fullFinetune,
        int probeMaxNewTokens,
        Set<String> explicit) {

    /** Every projection a LoRA adapter can target, in PEFT's usual order. */
    public static final List<String> ALL_PROJECTIONS =
            List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    public HyperParameters {
        targetModules = List.copyOf(targetModules);
        explicit = Set.copyOf(explicit);
    }

    /** @return the defaults */
    public static HyperParameters defaults() {
        return new HyperParameters(10, -1, 5e-3, 8, 1, LrSchedule.LINEAR, 0.05, 0.0, 0.9, 0.999, 1e-8, 1.0, 42,
                50, 512, false, false, 16, 32, 0.0, ALL_PROJECTIONS, false, false, 64, Set.of());
    }

    /** The keys {@code hyper.json} may hold. */
    public static final Set<String> KEYS = Set.of("num_train_epochs", "max_steps", "learning_rate",
            "per_device_train_batch_size", "gradient_accumulation_steps", "lr_scheduler_type", "warmup_ratio",
            "weight_decay", "adam_beta1", "adam_beta2", "adam_epsilon", "max_grad_norm", "seed", "save_steps",
            "max_length", "packing", "group_by_length", "r", "lora_alpha", "lora_dropout", "target_modules", "use_rslora",
            "full_finetune", "probe_max_new_tokens");

    /**
     * Reads {@code hyper.json}: any subset of {@link #KEYS}; the rest keep their defaults.
     *
     * @param root   the parsed file
     * @param source the file name, for errors
     * @throws InvalidTrainingInputException naming the key on an unknown key, a wrong type or a value out of range
     */
    public static HyperParameters read(JsonNode root, String source) {
        if (!root.isObject()) {
            throw new InvalidTrainingInputException(source + ": must be a JSON object of hyperparameters");
        }
        Set<String> unknown = new LinkedHashSet<>();
        root.fieldNames().forEachRemaining(k -> {
            if (!KEYS.contains(k)) {
                unknown.add(k);
            }
        });
        if (!unknown.isEmpty()) {
            throw new InvalidTrainingInputException(source + ": unknown key" + (unknown.size() > 1 ? "s " : " ")
                    + unknown + "; known keys are " + new java.util.TreeSet<>(KEYS));
        }
        Reader in = new Reader(root, source);
        HyperParameters d = defaults();
        List<String> targets = d.targetModules();
        JsonNode t = root.get("target_modules");
        if (t != null) {
            targets = new ArrayList<>();
            if (t.isTextual() && t.asText().equals("all-linear")) {
                targets = ALL_PROJECTIONS;
            } else if (t.isArray() && !t.isEmpty()) {
                for (JsonNode m : t) {
                    if (!m.isTextual() || !ALL_PROJECTIONS.contains(m.asText())) {
                        throw new InvalidTrainingInputException(source + ": target_modules entry " + m
                                + " is not one of " + ALL_PROJECTIONS);
                    }
                    targets.add(m.asText());
                }
            } else {
                throw new InvalidTrainingInputException(source
                        + ": target_modules must be a non-empty list of projection names or \"all-linear\"");
            }
        }
        LrSchedule scheduler;
        try {
            scheduler = LrSchedule.of(in.text("lr_scheduler_type", d.scheduler().hfName()));
        } catch (IllegalArgumentException e) {
            throw new InvalidTrainingInputException(source + ": " + e.getMessage());
        }
        Set<String> explicit = new LinkedHashSet<>();
        root.fieldNames().forEachRemaining(explicit::add);
        return new HyperParameters(
                in.number("num_train_epochs", d.numTrainEpochs(), 0, 10_000, false),
                in.integer("max_steps", d.maxSteps(), -1, 10_000_000),
                in.number("learning_rate", d.learningRate(), 0, 10, false),
                in.integer("per_device_train_batch_size", d.batchSize(), 1, 4096),
                in.integer("gradient_accumulation_steps", d.gradientAccumulationSteps(), 1, 4096),
                scheduler,
                in.number("warmup_ratio", d.warmupRatio(), 0, 1, true),
                in.number("weight_decay", d.weightDecay(), 0, 1, true),
                in.number("adam_beta1", d.adamBeta1(), 0, 1, true),
                in.number("adam_beta2", d.adamBeta2(), 0, 1, true),
                in.number("adam_epsilon", d.adamEpsilon(), 0, 1, false),
                in.number("max_grad_norm", d.maxGradNorm(), 0, 1e9, true),
                in.integer("seed", d.seed(), Long.MIN_VALUE, Long.MAX_VALUE),
                in.integer("save_steps", d.saveSteps(), 0, 10_000_000),
                in.integer("max_length", d.maxLength(), 2, 1 << 20),
                in.bool("packing", d.packing()),
                in.bool("group_by_length", d.groupByLength()),
                in.integer("r", d.r(), 1, 4096),
                in.number("lora_alpha", d.loraAlpha(), 0, 1e6, false),
                in.number("lora_dropout", d.loraDropout(), 0, 0.99, true),
                targets,
                in.bool("use_rslora", d.useRslora()),
                in.bool("full_finetune", d.fullFinetune()),
                in.integer("probe_max_new_tokens", d.probeMaxNewTokens(), 1, 4096),
                explicit);
    }

    private record Reader(JsonNode root, String source) {
        double number(String key, double fallback, double min, double max, boolean minInclusive) {
            JsonNode n = root.get(key);
            if (n == null) {
                return fallback;
            }
            if (!n.isNumber()) {
                throw bad(key, n, "a number");
            }
            double v = n.asDouble();
            if (!(minInclusive ? v >= min : v > min) || v > max || Double.isNaN(v)) {
                throw bad(key, n, "a number in " + (minInclusive ? "[" : "(") + min + ", " + max + "]");
            }
            return v;
        }

        int integer(String key, int fallback, int min, int max) {
            return Math.toIntExact(integer(key, (long) fallback, (long) min, (long) max));
        }

        long integer(String key, long fallback, long min, long max) {
            JsonNode n = root.get(key);
            if (n == null) {
                return fallback;
            }
            if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < min || n.asLong() > max) {
                throw bad(key, n, "an integer in [" + min + ", " + max + "]");
            }
            return n.asLong();
        }

        boolean bool(String key, boolean fallback) {
            JsonNode n = root.get(key);
            if (n == null) {
                return fallback;
            }
            if (!n.isBoolean()) {
                throw bad(key, n, "true or false");
            }
            return n.asBoolean();
        }

        String text(String key, String fallback) {
            JsonNode n = root.get(key);
            if (n == null) {
                return fallback;
            }
            if (!n.isTextual()) {
                throw bad(key, n, "a string");
            }
            return n.asText();
        }

        private InvalidTrainingInputException bad(String key, JsonNode value, String expected) {
            return new InvalidTrainingInputException(source + ": " + key + " is " + value + " but must be " + expected);
        }
    }

    /** @return optimizer steps per epoch for {@code batches} micro-batches per epoch */
    public int stepsPerEpoch(int batches) {
        return Math.max(1, (batches + gradientAccumulationSteps - 1) / gradientAccumulationSteps);
    }

    /** @return total optimizer steps for {@code batches} micro-batches per epoch */
    public int totalSteps(int batches) {
        if (maxSteps > 0) {
            return maxSteps;
        }
        return Math.max(1, (int) Math.ceil(numTrainEpochs * stepsPerEpoch(batches)));
    }

    /** @return warmup steps out of {@code total}, as {@code ceil(warmup_ratio · total)} */
    public int warmupSteps(int total) {
        return (int) Math.ceil(warmupRatio * total);
    }

    /** @return the LoRA scale {@code alpha/r}, or {@code alpha/√r} with rsLoRA */
    public double loraScale() {
        return useRslora ? loraAlpha / Math.sqrt(r) : loraAlpha / r;
    }

    /** @return every value under its Hugging Face name, as recorded in the adapter's manifest */
    public ObjectNode toJson(ObjectMapper json) {
        ObjectNode o = json.createObjectNode();
        o.put("num_train_epochs", numTrainEpochs);
        o.put("max_steps", maxSteps);
        o.put("learning_rate", learningRate);
        o.put("per_device_train_batch_size", batchSize);
        o.put("gradient_accumulation_steps", gradientAccumulationSteps);
        o.put("lr_scheduler_type", scheduler.hfName());
        o.put("warmup_ratio", warmupRatio);
        o.put("weight_decay", weightDecay);
        o.put("adam_beta1", adamBeta1);
        o.put("adam_beta2", adamBeta2);
        o.put("adam_epsilon", adamEpsilon);
        o.put("max_grad_norm", maxGradNorm);
        o.put("seed", seed);
        o.put("save_steps", saveSteps);
        o.put("max_length", maxLength);
        o.put("packing", packing);
        o.put("group_by_length", groupByLength);
        o.put("r", r);
        o.put("lora_alpha", loraAlpha);
        o.put("lora_dropout", loraDropout);
        ArrayNode t = o.putArray("target_modules");
        targetModules.forEach(t::add);
        o.put("use_rslora", useRslora);
        o.put("full_finetune", fullFinetune);
        o.put("probe_max_new_tokens", probeMaxNewTokens);
        return o;
    }

    /** @return a copy with some values replaced, given as a {@code hyper.json} fragment (tests, benchmarks) */
    public static HyperParameters of(Map<String, Object> values) {
        return read(new ObjectMapper().valueToTree(values), "hyperparameters");
    }
}
