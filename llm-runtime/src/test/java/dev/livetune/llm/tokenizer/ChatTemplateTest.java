package dev.livetune.llm.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Expected strings were produced by Python Jinja2 3.1 configured as transformers does
 * (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks).
 */
class ChatTemplateTest {
    private static final Clock CLOCK =
            Clock.fixed(Instant.parse("2024-07-26T09:05:03Z"), ZoneOffset.UTC);

    private static ChatTemplate fixture(String name) throws IOException {
        try (InputStream in = ChatTemplateTest.class.getResourceAsStream("/tokenizer/" + name)) {
            JsonNode c = new ObjectMapper().readTree(in);
            SpecialTokens tokens =
                    new SpecialTokens(text(c, "bos_token"), text(c, "eos_token"), text(c, "pad_token"),
                            text(c, "unk_token"));
            return new ChatTemplate(c.get("chat_template").textValue(), tokens, CLOCK);
        }
    }

    private static String text(JsonNode c, String field) {
        JsonNode n = c.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        return n.isTextual() ? n.textValue() : n.get("content").textValue();
    }

    @Test
    void smolLm2ChatMlAddsDefaultSystemPrompt() throws IOException {
        ChatTemplate t = fixture("smollm2_chatml.json");
        assertThat(t.render(List.of(ChatMessage.user("Hi")), true))
                .isEqualTo("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by"
                        + " Hugging Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
        assertThat(t.render(List.of(ChatMessage.system("Be terse."), ChatMessage.user("Hi"),
                        ChatMessage.assistant("Hello!")), false))
                .isEqualTo("<|im_start|>system\nBe terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                        + "<|im_start|>assistant\nHello!<|im_end|>\n");
    }

    @Test
    void llama3TrimsContentOnlyAndWritesBos() throws IOException {
        ChatTemplate t = fixture("llama3_instruct.json");
        List<ChatMessage> msgs = List.of(ChatMessage.system("  Be brief. "), ChatMessage.user("Hi\n"));
        assertThat(t.render(msgs, true))
                .isEqualTo("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief."
                        + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n");
        assertThat(t.render(msgs, false))
                .isEqualTo("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief."
                        + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>");
    }

    @Test
    void tinyLlamaNewlinesBetweenBlocksAreTrimmed() throws IOException {
        ChatTemplate t = fixture("tinyllama_zephyr.json");
        List<ChatMessage> msgs =
                List.of(ChatMessage.system("You are a friendly chatbot"), ChatMessage.user("Hello"));
        assertThat(t.render(msgs, true))
                .isEqualTo("<|system|>\nYou are a friendly chatbot</s>\n<|user|>\nHello</s>\n<|assistant|>\n");
        assertThat(t.render(msgs, false))
                .isEqualTo("<|system|>\nYou are a friendly chatbot</s>\n<|user|>\nHello</s>\n");
    }

    @Test
    void mistralRendersAlternatingTurnsAndRaisesOtherwise() throws IOException {
        ChatTemplate t = fixture("mistral_v01_instruct.json");
        assertThat(t.render(List.of(ChatMessage.user("Hi"), ChatMessage.assistant("Hello"),
                        ChatMessage.user("Bye")), true))
                .isEqualTo("<s>[INST] Hi [/INST]Hello</s> [INST] Bye [/INST]");
        assertThatThrownBy(() -> t.render(List.of(ChatMessage.user("a"), ChatMessage.user("b")), true))
                .isInstanceOf(TokenizerException.class)
                .hasMessageContaining("Conversation roles must alternate user/assistant/user/assistant/...");
        assertThatThrownBy(() -> t.render(List.of(ChatMessage.user("a"), ChatMessage.system("s")), true))
                .isInstanceOf(TokenizerException.class)
                .hasMessageContaining("Only user and assistant roles are supported!");
    }

    @Test
    void chatMlDefault() {
        assertThat(ChatTemplate.chatMlDefault()
                        .render(List.of(ChatMessage.system("S"), ChatMessage.user("U")), true))
                .isEqualTo("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n"
                        + "<|im_start|>assistant\n");
    }

    @Test
    void pythonStringMethods() {
        String src = "{% set c = messages[0]['content'] %}"
                + "[{{ c.strip() }}][{{ c.lstrip() }}][{{ c.rstrip() }}][{{ c.strip(' <') }}]"
                + "[{{ c.strip().startswith('<think>') }}][{{ c.strip().endswith(('x', '!')) }}]"
                + "[{{ c.split('</think>')[-1].lstrip('\\n') }}][{{ c.split()|length }}][{{ c.split() }}]"
                + "[{{ 'a,b,,c'.split(',') }}][{{ 'a,b,c'.split(',', 1) }}][{{ 'a,b,c'.rsplit(',', 1) }}]"
                + "[{{ c.replace('think', 'T') }}][{{ 'Ab'.upper() }}][{{ 'Ab'.lower() }}]"
                + "[{{ 'hello world'.title() }}][{{ 'hELLO'.capitalize() }}][{{ 'banana'.count('an') }}]"
                + "[{{ 'banana'.find('n') }}]";
        ChatTemplate t = new ChatTemplate(src, SpecialTokens.none(), CLOCK);
        String out = t.render(List.of(ChatMessage.user("  <think>x</think>\nHi there!  ")), false);
        assertThat(out).isEqualTo(
                "[<think>x</think>\nHi there!][<think>x</think>\nHi there!  ][  <think>x</think>\nHi there!]"
                        + "[think>x</think>\nHi there!][true][true][Hi there!  ][3]"
                        + "[['<think>x</think>', 'Hi', 'there!']][['a', 'b', '', 'c']][['a', 'b,c']]"
                        + "[['a,b', 'c']][  <T>x</T>\nHi there!  ][AB][ab][Hello World][Hello][2][2]");
    }

    @Test
    void jinjaFeaturesUsedByHuggingFaceTemplates() {
        String src = "{% set ns = namespace(sys='', n=0) %}"
                + "{% if messages[0]['role'] == 'system' %}{% set ns.sys = messages[0]['content'] %}"
                + "{% set loop_messages = messages[1:] %}{% else %}{% set loop_messages = messages %}{% endif %}"
                + "{% for m in loop_messages %}{% set ns.n = ns.n + 1 %}"
                + "{{ loop.index0 }}{% if loop.first %}F{% endif %}{% if loop.last %}L{% endif %}:{{ m.role }};"
                + "{% endfor %}|{{ ns.sys }}|{{ ns.n }}|{{ messages|length }}|{{ messages[-1].content }}"
                + "|{{ messages[1:] | tojson }}|{% if tools %}T{% endif %}{% if tools is defined %}D{% endif %}"
                + "|{{ enable_thinking }}|{{ strftime_now('%d %b %Y %H:%M:%S') }}";
        ChatTemplate t = new ChatTemplate(src, SpecialTokens.none(), CLOCK);
        String out = t.render(
                List.of(ChatMessage.system("S"), ChatMessage.user("a \"q\""), ChatMessage.assistant("b")),
                false, Map.of("enable_thinking", false));
        assertThat(out).isEqualTo(
                "0F:user;1L:assistant;|S|2|3|b"
                        + "|[{\"role\": \"user\", \"content\": \"a \\\"q\\\"\"}, {\"role\": \"assistant\", \"content\": \"b\"}]"
                        + "||false|26 Jul 2024 09:05:03");
    }

    @Test
    void lstripBlocksAndTrailingNewline() {
        // Jinja2 (trim_blocks, lstrip_blocks, no keep_trailing_newline) gives "A\n  B\nC"
        String src = "{% for m in messages %}\n    {% if m.role == 'user' %}\nA\n  B\n    {% endif %}\n"
                + "{% endfor %}\nC\n";
        ChatTemplate t = new ChatTemplate(src, SpecialTokens.none(), CLOCK);
        assertThat(t.render(List.of(ChatMessage.user("x")), false)).isEqualTo("A\n  B\nC");
    }

    @Test
    void specialTokenVariables() {
        ChatTemplate t = new ChatTemplate("{{ bos_token }}|{{ eos_token }}|{{ pad_token }}|{{ unk_token }}",
                new SpecialTokens("<s>", "</s>", "<pad>", null), CLOCK);
        assertThat(t.render(List.of(), false)).isEqualTo("<s>|</s>|<pad>|");
    }

    @Test
    void errorsSurfaceAsExceptions() {
        assertThatThrownBy(() -> new ChatTemplate("{% for m in messages %}x", SpecialTokens.none(), CLOCK))
                .isInstanceOf(TokenizerException.class)
                .hasMessageContaining("chat template");
        ChatTemplate unknownFunction = new ChatTemplate("{{ no_such_fn(1) }}", SpecialTokens.none(), CLOCK);
        assertThatThrownBy(() -> unknownFunction.render(List.of(), false))
                .isInstanceOf(TokenizerException.class)
                .hasMessageContaining("no_such_fn");
        ChatTemplate unknownMethod =
                new ChatTemplate("{{ messages[0].content.nope() }}", SpecialTokens.none(), CLOCK);
        assertThatThrownBy(() -> unknownMethod.render(List.of(ChatMessage.user("x")), false))
                .isInstanceOf(TokenizerException.class)
                .hasMessageContaining("nope");
        assertThatThrownBy(() -> ChatTemplate.chatMlDefault()
                        .render(List.of(), true, Map.of("messages", List.of())))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void strftimeDirectives() {
        var t = java.time.ZonedDateTime.parse("2024-02-05T15:04:05Z");
        assertThat(TemplateFunctions.strftime(t, "%Y-%m-%d %H:%M:%S %a %A %b %B %y %I%p %j %-d %%"))
                .isEqualTo("2024-02-05 15:04:05 Mon Monday Feb February 24 03PM 036 5 %");
    }

    @Test
    void chatMessageValidation() {
        assertThatThrownBy(() -> new ChatMessage(null, "x")).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new ChatMessage(" ", "x")).isInstanceOf(IllegalArgumentException.class);
        assertThat(new ChatMessage("user", null).content()).isEmpty();
    }
}
