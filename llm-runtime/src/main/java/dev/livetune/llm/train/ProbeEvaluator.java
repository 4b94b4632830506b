package dev.livetune.llm.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.llm.LanguageModel;
import dev.livetune.llm.generate.GenerationRequest;
import dev.livetune.llm.generate.GenerationResult;
import dev.livetune.llm.generate.Generator;
import dev.livetune.llm.generate.SamplingParams;
import dev.livetune.llm.lora.LoraAdapter;
import dev.livetune.llm.tokenizer.ChatMessage;
import dev.livetune.llm.tools.ToolCallFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Answers probes greedily and scores them per kind. */
public final class ProbeEvaluator {

    /** Probes answered together in one batch. */
    private static final int BATCH = 16;

    /** One answered probe. */
    public record Answer(Probe probe, String answer, boolean passed) {
    }

    /** Every answer, and recall per kind (absent kinds have no entry). */
    public record Report(List<Answer> answers, Map<String, Double> recall) {

        /** @return the report as {@code eval.json} holds it */
        public ObjectNode toJson(ObjectMapper json) {
            ObjectNode root = json.createObjectNode();
            ObjectNode r = root.putObject("recall");
            recall.forEach(r::put);
            ObjectNode counts = root.putObject("counts");
            for (String kind : Probe.KINDS) {
                long total = answers.stream().filter(a -> a.probe().kind().equals(kind)).count();
                if (total > 0) {
                    ObjectNode c = counts.putObject(kind);
                    c.put("passed", answers.stream().filter(a -> a.probe().kind().equals(kind) && a.passed()).count());
                    c.put("total", total);
                }
            }
            ArrayNode list = root.putArray("probes");
            for (Answer a : answers) {
                ObjectNode o = list.addObject();
                o.put("kind", a.probe().kind());
                o.put("question", a.probe().question());
                o.put("expect", a.probe().expect());
                o.put("answer", a.answer());
                o.put("passed", a.passed());
            }
            return root;
        }
    }

    private ProbeEvaluator() {
    }

    /** The fewest new tokens a probe with tools may answer in: a whole call. */
    static final int TOOL_CALL_TOKENS = 128;

    /**
     * @param model        the model (a trained full model, or the base of {@code adapter})
     * @param adapter      the trained adapter, or null
     * @param probes       what to ask
     * @param maxNewTokens answer length
     */
    public static Report evaluate(LanguageModel model, LoraAdapter adapter, List<Probe> probes, int maxNewTokens) {
        Generator generator = model.generator(new SplittableRandom(0));
        ToolCallFormat format = model.toolCallFormat().orElse(null);
        List<Answer> answers = new ArrayList<>();
        for (int from = 0; from < probes.size(); from += BATCH) {
            List<Probe> chunk = probes.subList(from, Math.min(probes.size(), from + BATCH));
            List<GenerationRequest> requests = new ArrayList<>();
            for (Probe p : chunk) {
                // a call is longer than a fact's answer: give it room (generation still stops at the end of turn)
                int budget = p.tools().isEmpty() ? maxNewTokens : Math.max(maxNewTokens, TOOL_CALL_TOKENS);
                requests.add(GenerationRequest.of(model.encodeChat(List.of(ChatMessage.user(p.question())), p.tools(), ""),
                        adapter, SamplingParams.greedy(budget)));
            }
            List<GenerationResult> results = generator.generate(requests);
            for (int i = 0; i < chunk.size(); i++) {
                String text = results.get(i).text();
                answers.add(new Answer(chunk.get(i), text, chunk.get(i).passes(text, format)));
            }
        }
        Map<String, Double> recall = new LinkedHashMap<>();
        for (String kind : Probe.KINDS) {
            long total = answers.stream().filter(a -> a.probe().kind().equals(kind)).count();
            if (total > 0) {
                long passed = answers.stream().filter(a -> a.probe().kind().equals(kind) && a.passed()).count();
                recall.put(kind, (double) passed / total);
            }
        }
        return new Report(List.copyOf(answers), recall);
    }
}
