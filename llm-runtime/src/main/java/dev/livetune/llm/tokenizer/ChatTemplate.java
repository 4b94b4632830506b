package dev.livetune.llm.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import jinjava.javax.el.CompositeELResolver;

/**
 * A Hugging Face chat template (the Jinja source in {@code tokenizer_config.json}'s {@code
 * chat_template}) rendered with jinjava, configured to behave like transformers'
 * {@code apply_chat_template}.
 *
 * <p>Variables: {@code messages} (list of {@code {role, content}} maps), {@code
 * add_generation_prompt}, the defined ones of {@code bos_token}, {@code eos_token}, {@code
 * pad_token}, {@code unk_token}, plus any extra variables the caller passes (e.g. {@code
 * enable_thinking}, {@code date_string}). Functions: {@code raise_exception(msg)} (rendering fails
 * with a {@link TokenizerException} carrying {@code msg}) and {@code strftime_now(fmt)} (time from the
 * injected {@link Clock}).
 *
 * <p>Whitespace: like transformers, blocks are rendered with {@code trim_blocks} and {@code
 * lstrip_blocks}, and, as Jinja2 does by default (transformers does not set {@code
 * keep_trailing_newline}), one trailing newline at the very end of the template source is dropped.
 *
 * <p>Supported and tested: {@code for}/{@code if}/{@code elif}/{@code set}, {@code loop.first},
 * {@code loop.last}, {@code loop.index0}, {@code namespace()} with {@code set ns.x = ...}, {@code
 * messages|length}, slicing {@code messages[1:]}, negative indexes, {@code tojson}, {@code trim},
 * filter precedence as in Jinja2 ({@code 'a' + x | trim + 'b'} trims only {@code x}), and the
 * Python string methods {@code strip lstrip rstrip startswith endswith split rsplit replace upper
 * lower title capitalize find count} (see {@link PythonStringMethods}).
 *
 * <p>Differences from Jinja2 worth knowing: undefined variables render as empty and are falsy (as
 * Jinja2's default {@code Undefined}), but attribute access on an undefined value does not raise;
 * booleans print as {@code true}/{@code false} instead of {@code True}/{@code False}; {@code none}
 * is not a literal; Python dict methods ({@code .items()}, {@code .keys()}) and the {@code
 * generation} block tag are not supported. {@code tojson} prints as Python's {@code json.dumps} does
 * ({@link PythonJson}). Tool-calling templates are tested with livetune's default ({@link
 * #CHATML_SOURCE}), which writes tools as Qwen2.5's does; real Qwen/Llama tool templates are not. Unknown functions, unknown methods, syntax errors and {@code raise_exception} all fail
 * rendering with a {@link TokenizerException}.
 */
public final class ChatTemplate {

    /**
     * The ChatML template transformers used as its default: {@code <|im_start|>role\ncontent
     * <|im_end|>\n} per message and {@code <|im_start|>assistant\n} as the generation prompt. With
     * {@code tools}, tool calls and tool results it writes them as Qwen2.5's template does (the
     * functions in a system turn's {@code <tools>}, under a shorter instruction than Qwen's so that
     * small contexts keep room; calls in {@code <tool_call>}; results in a user turn's
     * {@code <tool_response>}); without them its output is plain ChatML, unchanged.
     */
    public static final String CHATML_SOURCE =
            "{%- if tools %}"
                    + "{{- '<|im_start|>system\\n' }}"
                    + "{%- if messages[0]['role'] == 'system' %}{{- messages[0]['content'] + '\\n\\n' }}{%- endif %}"
                    + "{{- '<tools>' }}"
                    + "{%- for tool in tools %}{{- '\\n' }}{{- tool | tojson }}{%- endfor %}"
                    + "{{- '\\n</tools>\\nTo call a function, reply with <tool_call>\\n{\"name\": <function-name>,"
                    + " \"arguments\": <args-json-object>}\\n</tool_call><|im_end|>\\n' }}"
                    + "{%- endif %}"
                    + "{%- for message in messages %}"
                    + "{%- if tools and loop.first and message['role'] == 'system' %}"
                    + "{%- elif message['role'] == 'tool' %}"
                    + "{%- if loop.first or messages[loop.index0 - 1]['role'] != 'tool' %}{{- '<|im_start|>user' }}{%- endif %}"
                    + "{{- '\\n<tool_response>\\n' + message['content'] + '\\n</tool_response>' }}"
                    + "{%- if loop.last or messages[loop.index0 + 1]['role'] != 'tool' %}{{- '<|im_end|>\\n' }}{%- endif %}"
                    + "{%- elif message['role'] == 'assistant' and message['tool_calls'] %}"
                    + "{{- '<|im_start|>assistant' }}"
                    + "{%- if message['content'] %}{{- '\\n' + message['content'] }}{%- endif %}"
                    + "{%- for call in message['tool_calls'] %}"
                    + "{{- '\\n<tool_call>\\n{\"name\": \"' + call['function']['name'] + '\", \"arguments\": ' }}"
                    + "{{- call['function']['arguments'] | tojson }}{{- '}\\n</tool_call>' }}"
                    + "{%- endfor %}"
                    + "{{- '<|im_end|>\\n' }}"
                    + "{%- else %}"
                    + "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
                    + "{%- endif %}"
                    + "{%- endfor %}"
                    + "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private static final Set<String> RESERVED = Set.of("messages", "add_generation_prompt");

    private final String source;
    private final SpecialTokens specialTokens;
    private final Jinjava jinjava;

    /**
     * Compiles {@code source}; syntax errors are reported here rather than on first render.
     *
     * @param source the Jinja template text
     * @param specialTokens the tokens exposed as {@code bos_token} etc.
     * @param clock the time source for {@code strftime_now}
     * @throws TokenizerException when the template does not parse
     */
    public ChatTemplate(String source, SpecialTokens specialTokens, Clock clock) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(clock, "clock");
        this.specialTokens = Objects.requireNonNull(specialTokens, "specialTokens");
        this.source = dropOneTrailingNewline(source);
        this.jinjava = newJinjava(clock);
        checkSyntax();
    }

    /** The default ChatML template for models that ship none; it uses no special-token variables. */
    public static ChatTemplate chatMlDefault() {
        return new ChatTemplate(CHATML_SOURCE, SpecialTokens.none(), Clock.systemUTC());
    }

    /** The template text as rendered (with Jinja2's single trailing newline dropped). */
    public String source() {
        return source;
    }

    /** The special tokens this template sees. */
    public SpecialTokens specialTokens() {
        return specialTokens;
    }

    /**
     * Renders a conversation.
     *
     * @param messages the turns, in order
     * @param addGenerationPrompt whether to append the header that starts the assistant's reply
     * @return the prompt text; it already contains BOS when the template writes {@code bos_token},
     *     so encode it without adding special tokens
     * @throws TokenizerException when rendering fails or the template calls {@code raise_exception}
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /**
     * Renders a conversation with extra template variables (e.g. {@code enable_thinking}, {@code
     * tools}); they cannot replace {@code messages} or {@code add_generation_prompt}, but can override
     * the special-token variables.
     */
    public String render(
            List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, Object> extraVariables) {
        Objects.requireNonNull(messages, "messages");
        Objects.requireNonNull(extraVariables, "extraVariables");
        for (String key : extraVariables.keySet()) {
            if (RESERVED.contains(key)) {
                throw new IllegalArgumentException("extra variable '" + key + "' is set by render itself");
            }
        }
        Map<String, Object> bindings = new HashMap<>(specialTokens.asTemplateVariables());
        bindings.putAll(extraVariables);
        List<Map<String, Object>> msgs = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            if (!m.toolCalls().isEmpty()) {
                map.put("tool_calls", m.toolCalls().stream().map(ChatTemplate::toolCall).toList());
            }
            if (m.toolCallId() != null) {
                map.put("tool_call_id", m.toolCallId());
            }
            msgs.add(map);
        }
        bindings.put("messages", msgs);
        bindings.put("add_generation_prompt", addGenerationPrompt);

        RenderResult result;
        try {
            result = jinjava.renderForResult(source, bindings);
        } catch (TemplateFunctions.RaisedByTemplate e) {
            throw new TokenizerException(e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new TokenizerException("chat template: rendering failed: " + e.getMessage(), e);
        }
        failOnFatal(result.getErrors());
        return result.getOutput();
    }

    /**
     * A call as transformers passes it to templates: {@code {"id", "type": "function", "function":
     * {"name", "arguments"}}}, the arguments as a parsed object (templates print them with tojson).
     */
    private static Map<String, Object> toolCall(dev.livetune.llm.tools.ToolCall call) {
        Object arguments;
        try {
            arguments = JSON.readValue(call.arguments(), LinkedHashMap.class);
        } catch (java.io.IOException | RuntimeException e) {
            arguments = call.arguments();
        }
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("name", call.name());
        function.put("arguments", arguments);
        Map<String, Object> out = new LinkedHashMap<>();
        if (call.id() != null) {
            out.put("id", call.id());
        }
        out.put("type", "function");
        out.put("function", function);
        return out;
    }

    private Jinjava newJinjava(Clock clock) {
        // Our Python str methods first, jinjava's default resolution for everything else.
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
        JinjavaConfig config =
                JinjavaConfig.newBuilder()
                        .withTrimBlocks(true)
                        .withLstripBlocks(true)
                        // Jinja2's default Undefined renders empty and is falsy; templates rely on that
                        // ({% if tools %}, message.tool_calls), so unknown names must not be fatal here.
                        .withFailOnUnknownTokens(false)
                        .withElResolver(resolver)
                        .withDateTimeProvider(clock::millis)
                        .withTimeZone(clock.getZone())
                        .withLegacyOverrides(
                                LegacyOverrides.newBuilder()
                                        // 'a' + x | trim must trim only x, as in Jinja2
                                        .withUseNaturalOperatorPrecedence(true)
                                        // tojson and printed lists/dicts in Python/JSON form
                                        .withUsePyishObjectMapper(true)
                                        .withParseWhitespaceControlStrictly(true)
                                        .withEvaluateMapKeys(true)
                                        .build())
                        .build();
        Jinjava j = new Jinjava(config);
        j.getGlobalContext().registerFilter(new PythonJson());
        j.registerFunction(
                new ELFunctionDefinition(
                        "", "raise_exception", TemplateFunctions.class, "raiseException", Object.class));
        j.registerFunction(
                new ELFunctionDefinition(
                        "", "strftime_now", TemplateFunctions.class, "strftimeNow", String.class));
        return j;
    }

    private void checkSyntax() {
        JinjavaInterpreter interpreter = jinjava.newInterpreter();
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            interpreter.parse(source);
        } catch (RuntimeException e) {
            throw new TokenizerException("chat template: does not parse: " + e.getMessage(), e);
        } finally {
            JinjavaInterpreter.popCurrent();
        }
        failOnFatal(interpreter.getErrors());
    }

    private static void failOnFatal(List<TemplateError> errors) {
        for (TemplateError error : errors) {
            if (error.getSeverity() != TemplateError.ErrorType.FATAL) {
                continue;
            }
            for (Throwable t = error.getException(); t != null; t = t.getCause()) {
                if (t instanceof TemplateFunctions.RaisedByTemplate raised) {
                    throw new TokenizerException(raised.getMessage(), raised);
                }
            }
            String message = error.getMessage();
            if (message != null && message.contains("chat template raised an exception: ")) {
                // jinjava sometimes keeps only the message of a function's exception
                throw new TokenizerException(
                        message.substring(message.indexOf("chat template raised an exception: ")));
            }
            throw new TokenizerException(
                    "chat template: line " + error.getLineno() + ": " + error.getMessage(),
                    error.getException());
        }
    }

    private static String dropOneTrailingNewline(String s) {
        if (s.endsWith("\r\n")) {
            return s.substring(0, s.length() - 2);
        }
        if (s.endsWith("\n")) {
            return s.substring(0, s.length() - 1);
        }
        return s;
    }
}
