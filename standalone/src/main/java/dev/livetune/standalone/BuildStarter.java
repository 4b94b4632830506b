package dev.livetune.standalone;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code livetune build-starter --out DIR [--seed N] [--report FILE]}: builds a starter model where
 * {@code up} would not (a directory of your choice, seeds of your choice), and says what the build
 * did: its steps, final loss, updates left out for a non-finite gradient and trainings started over
 * on a NaN loss. The bench builds thirty of them this way to check the recipe never produces a NaN.
 */
final class BuildStarter {

    static final String USAGE = "usage: livetune build-starter --out DIR [--seed N] [--report FILE]\n"
            + "  --seed N       seeds the random weights and the trainer (default: the starter's own, 7 and 42)\n"
            + "  --report FILE  also write what the build did as JSON";

    private BuildStarter() {
    }

    static int run(Settings s, String[] args) throws Exception {
        Path out = null;
        Path report = null;
        StarterModel.Seeds seeds = StarterModel.Seeds.DEFAULT;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--out" -> out = Path.of(require(value, "--out"));
                case "--report" -> report = Path.of(require(value, "--report"));
                case "--seed" -> {
                    try {
                        long seed = Long.parseLong(require(value, "--seed"));
                        seeds = new StarterModel.Seeds(seed, seed);
                    } catch (NumberFormatException e) {
                        throw new Settings.Invalid("--seed takes a whole number, not '" + value + "'\n" + USAGE);
                    }
                }
                default -> throw new Settings.Invalid("unknown option '" + args[i] + "'\n" + USAGE);
            }
            i++;
        }
        if (out == null) {
            throw new Settings.Invalid("build-starter needs --out DIR\n" + USAGE);
        }
        if (Files.exists(out)) {
            throw new Settings.Invalid(out + " exists; give build-starter a directory that does not");
        }
        StarterModel.Build b = new StarterModel().build(out, s.requireTrainerJar(),
                Runtime.getRuntime().availableProcessors(), seeds);
        ObjectMapper json = new ObjectMapper();
        ObjectNode r = json.createObjectNode();
        r.put("weights_seed", b.seeds().weights());
        r.put("training_seed", b.seeds().training());
        r.put("steps", b.steps());
        r.put("final_loss", b.finalLoss());
        r.put("skipped_steps", b.skippedSteps());
        r.put("nan_retries", b.nanRetries());
        r.put("seconds", b.seconds());
        System.out.println(json.writeValueAsString(r));
        if (report != null) {
            json.writerWithDefaultPrettyPrinter().writeValue(report.toFile(), r);
        }
        return 0;
    }

    private static String require(String value, String option) {
        if (value == null) {
            throw new Settings.Invalid(option + " needs a value\n" + USAGE);
        }
        return value;
    }
}
