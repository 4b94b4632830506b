// Batch-1 greedy decode benchmark for Jlama (com.github.tjake:jlama-core 0.8.4).
//
// Run with the Java source launcher (Java 21+, tested on 25), e.g.
//   java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
//        -cp "$(cat classpath.txt)" JlamaDecode.java --model DIR --prompt-tokens 16 --new-tokens 64 --repeats 5 --threads 2
//
// stdout: exactly one JSON line.  Everything else (Jlama's slf4j logs, progress) goes to stderr.
//
// Modes:
//   --mode loop (default)  feeds fixed token ids straight into Jlama's public forward API, mirroring the body
//                          of AbstractModel.generate(): batchForward(prompt) -> sample(temp 0) -> N-1 x
//                          (forward(token,pos) -> sample(temp 0) -> incrementContextPosition). No tokenizer,
//                          no EOS stop: exactly --new-tokens tokens are produced and counted.
//   --mode generate        cross-check through Jlama's own AbstractModel.generate() with a fixed ASCII text prompt
//                          (temperature 0). It stops on EOS and times with System.currentTimeMillis(); token counts
//                          come from Jlama's Response (its callback skips special/undecodable ids, so the callback
//                          count is reported separately and is not used for the rate).
// Kernels: --ops auto (Jlama's choice; native when jlama-native is on the classpath) | panama | native.
//   run.sh passes --ops panama by default: with F32 weights Jlama 0.8.4's native batched gemm (prefill) gives wrong
//   logits, and its native decode is slower than the Panama one on this machine (see README.md).
// Other flags: --prompt-tokens N --new-tokens N --repeats N --threads N --warmup N --prompt-ids a,b,c --dtype F32|BF16
import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.model.functions.Generator;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import com.github.tjake.jlama.tensor.operations.TensorOperationsProvider;
import com.github.tjake.jlama.util.MachineSpec;
import com.github.tjake.jlama.util.PhysicalCoreExecutor;

import java.io.File;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

public class JlamaDecode {

    record Run(double prefillMs, double decodeMs, int tokens, double decodeTps, double cpuUtil, double otherCpu, int eosHits,
               int[] ids, int callbackTokens, String finishReason) {}

    static String model;
    static int promptTokens = 16, newTokens = 64, repeats = 5, threads = 2, warmup = 1;
    static String mode = "loop";
    static String dtype = "F32";
    static String opsChoice = "auto"; // auto = Jlama's own choice (native if jlama-native is on the classpath)
    static int[] promptIdsOverride = null;

    public static void main(String[] args) throws Exception {
        PrintStream out = System.out;
        System.setOut(System.err); // keep stdout for the single JSON line

        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--model" -> model = args[++i];
                case "--prompt-tokens" -> promptTokens = Integer.parseInt(args[++i]);
                case "--new-tokens" -> newTokens = Integer.parseInt(args[++i]);
                case "--repeats" -> repeats = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--mode" -> mode = args[++i];
                case "--dtype" -> dtype = args[++i].toUpperCase();
                case "--force-panama" -> opsChoice = "panama";
                case "--ops" -> opsChoice = args[++i].toLowerCase();
                case "--prompt-ids" -> promptIdsOverride = Arrays.stream(args[++i].split(","))
                        .map(String::trim).mapToInt(Integer::parseInt).toArray();
                default -> throw new IllegalArgumentException("unknown argument: " + a);
            }
        }
        if (model == null) throw new IllegalArgumentException("--model DIR is required");
        if (newTokens < 2) throw new IllegalArgumentException("--new-tokens must be >= 2");
        if (!mode.equals("loop") && !mode.equals("generate")) throw new IllegalArgumentException("--mode loop|generate");

        // Must be set before TensorOperationsProvider is initialised (it reads the property in its static init).
        if (!opsChoice.equals("auto") && !opsChoice.equals("panama") && !opsChoice.equals("native"))
            throw new IllegalArgumentException("--ops auto|panama|native");
        if (opsChoice.equals("panama")) System.setProperty("jlama.force_panama_tensor_operations", "true");
        // generate() logs a full stack trace for every sampled id its tokenizer cannot decode (random weights over a
        // 32000-entry vocab with a 261-entry tokenizer => almost every token). Silence that logger in generate mode.
        if (mode.equals("generate")) System.setProperty("org.slf4j.simpleLogger.log.com.github.tjake.jlama.model.AbstractModel", "off");

        DType workDType = DType.valueOf(dtype);
        long t0 = System.nanoTime();
        // loadModel(model, workingDir, workingMemoryType, workingQuantizationType, modelQuantization, threadCount):
        // no modelQuantization => weights stay in the checkpoint dtype; threadCount => PhysicalCoreExecutor.overrideThreadCount
        AbstractModel m = ModelSupport.loadModel(new File(model), null, workDType, workDType, Optional.empty(), Optional.of(threads));
        double loadMs = (System.nanoTime() - t0) / 1e6;

        String ops = TensorOperationsProvider.get().name();
        if (opsChoice.equals("native") && !ops.startsWith("Native"))
            throw new IllegalStateException("--ops native requested but Jlama selected: " + ops);
        int poolThreads = PhysicalCoreExecutor.instance.get().getCoreCount();
        String modelDType = m.getWeights().getModelDType().name();
        String workingQType = readField(m, "workingQType");
        String outWeightsDType = "?";
        try {
            var so = (com.github.tjake.jlama.model.functions.SampleOutput) getField(m, "sampleOutput");
            outWeightsDType = so.getOutputLogitsWeights().dType().name();
        } catch (Throwable ignored) {}
        var cfg = m.getConfig();
        System.err.printf("[bench] loaded %s in %.0f ms: ops=%s vector=%s pool_threads=%d model_dtype=%s working=%s working_q=%s lm_head=%s vocab=%d layers=%d dim=%d%n",
                model, loadMs, ops, MachineSpec.VECTOR_TYPE, poolThreads, modelDType, m.getWorkingDType(), workingQType,
                outWeightsDType, cfg.vocabularySize, cfg.numberOfLayers, cfg.embeddingLength);

        int[] prompt = promptIds(cfg.bosToken, cfg.vocabularySize);
        String textPrompt = textPrompt(m);

        for (int w = 0; w < warmup; w++) {
            Run r = mode.equals("loop") ? runLoop(m, prompt) : runGenerate(m, textPrompt);
            System.err.printf("[bench] warmup %d: prefill %.1f ms, decode %.2f tok/s%n", w, r.prefillMs, r.decodeTps);
        }
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < repeats; i++) {
            Run r = mode.equals("loop") ? runLoop(m, prompt) : runGenerate(m, textPrompt);
            runs.add(r);
            System.err.printf("[bench] run %d: prefill %.1f ms, decode %d tok in %.1f ms = %.2f tok/s, cpu %.2f cores (others %.2f), eos_hits %d%n",
                    i, r.prefillMs, r.tokens, r.decodeMs, r.decodeTps, r.cpuUtil, r.otherCpu, r.eosHits);
        }

        boolean same = runs.stream().allMatch(r -> Arrays.equals(r.ids, runs.get(0).ids));
        StringBuilder sb = new StringBuilder();
        sb.append('{');
        kv(sb, "engine", "jlama").append(',');
        kv(sb, "version", "0.8.4").append(',');
        kv(sb, "mode", mode).append(',');
        kv(sb, "model", model).append(',');
        sb.append("\"threads\":").append(threads).append(',');
        sb.append("\"pool_threads\":").append(poolThreads).append(',');
        kv(sb, "dtype", "weights=" + modelDType + ",working=" + m.getWorkingDType() + ",working_q=" + workingQType).append(',');
        kv(sb, "ops_requested", opsChoice).append(',');
        kv(sb, "ops", ops).append(',');
        kv(sb, "vector_type", String.valueOf(MachineSpec.VECTOR_TYPE)).append(',');
        kv(sb, "java", System.getProperty("java.version")).append(',');
        sb.append("\"prompt_tokens\":").append(mode.equals("loop") ? prompt.length : runs.get(0).ids.length).append(',');
        sb.append("\"new_tokens\":").append(newTokens).append(',');
        sb.append("\"warmup\":").append(warmup).append(',');
        sb.append("\"load_ms\":").append(fmt(loadMs)).append(',');
        sb.append("\"cpus\":").append(Runtime.getRuntime().availableProcessors()).append(',');
        // CPU used by OTHER processes during the timed decode phases (from /proc/stat minus our own CPU time).
        // Anything well above ~0.1 cores on a small machine means the numbers are contaminated.
        sb.append("\"other_procs_cpu_cores_max\":").append(fmt(runs.stream().mapToDouble(Run::otherCpu).max().orElse(Double.NaN))).append(',');
        sb.append("\"prefill_ms_median\":").append(fmt(median(runs.stream().mapToDouble(Run::prefillMs).toArray()))).append(',');
        sb.append("\"decode_tokens_per_s_median\":").append(fmt(median(runs.stream().mapToDouble(Run::decodeTps).toArray()))).append(',');
        sb.append("\"decode_ms_per_token_median\":").append(fmt(median(runs.stream().mapToDouble(r -> r.decodeMs / r.tokens).toArray()))).append(',');
        if (mode.equals("loop")) {
            sb.append("\"same_tokens_all_runs\":").append(same).append(',');
            sb.append("\"prompt_ids\":").append(Arrays.toString(prompt).replace(" ", "")).append(',');
            sb.append("\"generated_ids\":").append(Arrays.toString(runs.get(0).ids).replace(" ", "")).append(',');
        }
        sb.append("\"runs\":[");
        for (int i = 0; i < runs.size(); i++) {
            Run r = runs.get(i);
            if (i > 0) sb.append(',');
            sb.append("{\"prefill_ms\":").append(fmt(r.prefillMs))
              .append(",\"decode_ms\":").append(fmt(r.decodeMs))
              .append(",\"decode_tokens\":").append(r.tokens)
              .append(",\"decode_tokens_per_s\":").append(fmt(r.decodeTps))
              .append(",\"decode_cpu_cores\":").append(fmt(r.cpuUtil))
              .append(",\"other_procs_cpu_cores\":").append(fmt(r.otherCpu))
              .append(",\"eos_hits\":").append(r.eosHits);
            if (mode.equals("generate")) {
                sb.append(",\"callback_tokens\":").append(r.callbackTokens);
                sb.append(",\"finish_reason\":\"").append(r.finishReason).append('"');
            }
            sb.append('}');
        }
        sb.append("]}");
        out.println(sb);
        out.flush();
        m.close();
        System.exit(0);
    }

    /** Fixed prompt: BOS followed by a deterministic sequence of byte-token ids (or --prompt-ids verbatim). */
    static int[] promptIds(int bos, int vocab) {
        if (promptIdsOverride != null) {
            for (int id : promptIdsOverride) if (id < 0 || id >= vocab) throw new IllegalArgumentException("prompt id out of range: " + id);
            return promptIdsOverride;
        }
        int[] p = new int[promptTokens];
        p[0] = bos;
        for (int i = 1; i < promptTokens; i++) p[i] = (7 + 31 * i) % 256;
        return p;
    }

    static String textPrompt(AbstractModel m) {
        // No spaces: Jlama 0.8.4's BPE pre-tokenizer drops spaces with this merge-less byte-level tokenizer.json.
        // Jlama's generate() adds BOS itself; every ASCII letter is one byte token.
        String base = "Thequickbrownfoxjumpsoverthelazydog".repeat(64);
        int n = Math.max(1, promptTokens - 1);
        String s = base.substring(0, n);
        while (s.length() > 1 && m.getTokenizer().encode(s).length > n) s = s.substring(0, s.length() - 1);
        return s;
    }

    static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    static Run runLoop(AbstractModel m, int[] prompt) {
        var cfg = m.getConfig();
        if (prompt.length + newTokens > cfg.contextLength) throw new IllegalArgumentException("exceeds context length");
        int[] ids = new int[newTokens];
        int eos = 0;
        KvBufferCache cache = new KvBufferCache(m); // fresh KV cache per run (same kind generate() uses)
        try (KvBufferCache.KvBuffer kv = cache.getKvBuffer(UUID.randomUUID());
             AbstractTensor logits = m.makeDenseTensor(cfg.vocabularySize)) {
            long t0 = System.nanoTime();
            AbstractTensor last = m.batchForward(prompt, 0, kv);
            int next = m.sample(last.slice(last.shape().first() - 1), 0.0f, 0.0f, logits); // temperature 0 => argmax
            last.close();
            long t1 = System.nanoTime();
            long c1 = OS.getProcessCpuTime();
            long s1 = systemBusyNanos();
            int produced = 0;
            ids[produced++] = next;
            for (int pos = prompt.length; produced < newTokens; pos++) {
                AbstractTensor o = m.forward(next, pos, kv, Optional.empty());
                next = m.sample(o, 0.0f, 0.0f, logits);
                o.close();
                kv.incrementContextPosition();
                ids[produced++] = next;
            }
            long t2 = System.nanoTime();
            long c2 = OS.getProcessCpuTime();
            long s2 = systemBusyNanos();
            for (int id : ids) if (cfg.eosTokens.contains(id)) eos++;
            int decodeTokens = produced - 1; // tokens after the first one
            double decodeMs = (t2 - t1) / 1e6;
            return new Run((t1 - t0) / 1e6, decodeMs, decodeTokens, decodeTokens / (decodeMs / 1000.0),
                    (c2 - c1) / (double) (t2 - t1), otherCores(s1, s2, c1, c2, t1, t2), eos, ids, -1, "MAX_TOKENS");
        } finally {
            cache.close();
        }
    }

    static Run runGenerate(AbstractModel m, String text) {
        AtomicInteger cb = new AtomicInteger();
        int promptLen = m.getTokenizer().encode(text).length + 1; // + BOS added by generate()
        // generate() runs its decode loop for positions [promptLen, ntokens): 1 token from prefill + (ntokens - promptLen).
        int ntokens = promptLen + newTokens - 1;
        long c1 = OS.getProcessCpuTime();
        long s1 = systemBusyNanos();
        long w1 = System.nanoTime();
        Generator.Response r = m.generate(UUID.randomUUID(), PromptContext.of(text), 0.0f, ntokens, (s, f) -> cb.incrementAndGet());
        long w2 = System.nanoTime();
        long c2 = OS.getProcessCpuTime();
        long s2 = systemBusyNanos();
        double decodeMs = r.generateTimeMs;
        int[] fake = new int[promptLen];
        return new Run(r.promptTimeMs, decodeMs, r.generatedTokens, r.generatedTokens / (decodeMs / 1000.0),
                (c2 - c1) / (double) (w2 - w1), otherCores(s1, s2, c1, c2, w1, w2), r.finishReason == Generator.FinishReason.STOP_TOKEN ? 1 : 0, fake,
                cb.get(), r.finishReason.name());
    }

    /** Busy CPU time of the whole machine from /proc/stat (USER_HZ = 100 assumed), or -1 if unavailable. */
    static long systemBusyNanos() {
        try {
            String[] f = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long busy = 0;
            for (int i = 1; i < f.length && i <= 8; i++) if (i != 4 && i != 5) busy += Long.parseLong(f[i]); // skip idle, iowait
            return busy * 10_000_000L;
        } catch (Exception e) {
            return -1;
        }
    }

    static double otherCores(long s1, long s2, long c1, long c2, long t1, long t2) {
        if (s1 < 0 || s2 < 0) return Double.NaN;
        return Math.max(0, ((s2 - s1) - (c2 - c1)) / (double) (t2 - t1));
    }

    static Object getField(Object o, String name) throws Exception {
        Class<?> c = o.getClass();
        while (c != null) {
            try {
                var f = c.getDeclaredField(name);
                f.setAccessible(true);
                return f.get(o);
            } catch (NoSuchFieldException e) {
                c = c.getSuperclass();
            }
        }
        throw new NoSuchFieldException(name);
    }

    static String readField(Object o, String name) {
        try { return String.valueOf(getField(o, name)); } catch (Exception e) { return "?"; }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n == 0 ? Double.NaN : (n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2);
    }

    static String fmt(double d) {
        return String.format(java.util.Locale.ROOT, "%.3f", d);
    }

    static StringBuilder kv(StringBuilder sb, String k, String v) {
        return sb.append('"').append(k).append("\":\"").append(v.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
    }
}
