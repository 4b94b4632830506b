package dev.livetune.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.livetune.api.inference.v1.ChatPrompt;
import dev.livetune.api.inference.v1.Tool;
import dev.livetune.api.inference.v1.ToolCall;
import dev.livetune.api.inference.v1.ToolChoice;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A chat request's functions ({@code tools}, {@code tool_choice}, {@code parallel_tool_calls}), checked
 * as OpenAI checks them, and what they make of the calls a model writes: a call is returned only when
 * it names one of the tools (the chosen one, when {@code tool_choice} names one) and its arguments
 * validate against that tool's JSON Schema. Otherwise the reply is returned as the text the model
 * wrote, with {@code finish_reason} {@code stop}: nothing the model said is lost, and no client is
 * handed a call its code cannot run.
 */
final class ChatTools {

    /** No tools: the model is not offered any, and its reply is text. */
    static final ChatTools NONE = new ChatTools(Map.of(), "none", null, true);

    static final int MAX_TOOLS = 128;
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    /** JSON Schema 2020-12's own schema: a tool's {@code parameters} must validate against it. */
    private static final Schema META = SCHEMAS.getSchema(SchemaLocation.of("https://json-schema.org/draft/2020-12/schema"));
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /** One function: its definition as given, and its compiled parameter schema (null: no parameters). */
    record Function(String name, String description, JsonNode parameters, Schema schema) {
    }

    private final Map<String, Function> functions;
    private final String choice;
    private final String forced;
    private final boolean parallel;

    private ChatTools(Map<String, Function> functions, String choice, String forced, boolean parallel) {
        this.functions = functions;
        this.choice = choice;
        this.forced = forced;
        this.parallel = parallel;
    }

    /** @return whether the model is offered functions to call */
    boolean offered() {
        return !functions.isEmpty() && !choice.equals("none");
    }

    /**
     * @param body the request body
     * @throws OpenAiException 400 naming the parameter for anything malformed
     */
    static ChatTools parse(JsonNode body) {
        JsonNode tools = body.get("tools");
        JsonNode choiceNode = body.get("tool_choice");
        JsonNode parallelNode = body.get("parallel_tool_calls");
        boolean parallel = true;
        if (parallelNode != null && !parallelNode.isNull()) {
            if (!parallelNode.isBoolean()) {
                throw OpenAiException.invalid("parallel_tool_calls", "'parallel_tool_calls' must be a boolean");
            }
            parallel = parallelNode.booleanValue();
        }
        Map<String, Function> functions = new LinkedHashMap<>();
        if (tools != null && !tools.isNull()) {
            if (!tools.isArray()) {
                throw OpenAiException.invalid("tools", "'tools' must be an array of {\"type\": \"function\", \"function\": {...}}");
            }
            if (tools.size() > MAX_TOOLS) {
                throw OpenAiException.invalid("tools", "'tools' holds " + tools.size() + " functions; at most " + MAX_TOOLS);
            }
            for (int i = 0; i < tools.size(); i++) {
                Function f = function(tools.get(i), "tools[" + i + "]");
                if (functions.putIfAbsent(f.name(), f) != null) {
                    throw OpenAiException.invalid("tools[" + i + "].function.name", "tools[" + i + "].function.name '"
                            + f.name() + "' is defined twice; function names must be unique");
                }
            }
        }
        String choice = functions.isEmpty() ? "none" : "auto";
        String forced = null;
        if (choiceNode != null && !choiceNode.isNull()) {
            if (choiceNode.isTextual() && Set.of("none", "auto", "required").contains(choiceNode.asText())) {
                choice = choiceNode.asText();
            } else if (choiceNode.isObject() && "function".equals(choiceNode.path("type").asText())
                    && choiceNode.path("function").path("name").isTextual()) {
                choice = "required";
                forced = choiceNode.get("function").get("name").asText();
                if (!functions.containsKey(forced)) {
                    throw OpenAiException.invalid("tool_choice", "tool_choice names the function '" + forced
                            + "', which is not one of 'tools'");
                }
            } else {
                throw OpenAiException.invalid("tool_choice", "'tool_choice' must be \"none\", \"auto\", \"required\" or"
                        + " {\"type\": \"function\", \"function\": {\"name\": ...}}");
            }
            if (functions.isEmpty() && !choice.equals("none")) {
                throw OpenAiException.invalid("tool_choice", "'tool_choice' " + choiceNode + " needs 'tools' to choose from");
            }
        }
        // in the request's order: the prompt lists them so, the same for the same request
        return functions.isEmpty() ? NONE
                : new ChatTools(java.util.Collections.unmodifiableMap(functions), choice, forced, parallel);
    }

    /**
     * The gRPC Chat API's form of the same: tools with their parameters as JSON text, the choice as a
     * word or a function's name.
     *
     * @throws OpenAiException 400 naming the field for anything malformed
     */
    static ChatTools of(List<dev.livetune.api.chat.v1.Tool> tools, String choice, Boolean parallel) {
        com.fasterxml.jackson.databind.node.ObjectNode body = JSON.createObjectNode();
        com.fasterxml.jackson.databind.node.ArrayNode list = body.putArray("tools");
        for (int i = 0; i < tools.size(); i++) {
            dev.livetune.api.chat.v1.Tool t = tools.get(i);
            com.fasterxml.jackson.databind.node.ObjectNode f = list.addObject().put("type", "function").putObject("function");
            f.put("name", t.getName());
            if (!t.getDescription().isEmpty()) {
                f.put("description", t.getDescription());
            }
            if (!t.getParameters().isEmpty()) {
                try {
                    f.set("parameters", JSON.readTree(t.getParameters()));
                } catch (java.io.IOException e) {
                    throw OpenAiException.invalid("tools[" + i + "].parameters", "tools[" + i + "].parameters is not JSON");
                }
            }
        }
        if (!choice.isEmpty()) {
            if (Set.of("none", "auto", "required").contains(choice)) {
                body.put("tool_choice", choice);
            } else {
                body.putObject("tool_choice").put("type", "function").putObject("function").put("name", choice);
            }
        }
        if (parallel != null) {
            body.put("parallel_tool_calls", parallel);
        }
        return parse(body);
    }

    private static Function function(JsonNode tool, String at) {
        if (!tool.isObject() || !"function".equals(tool.path("type").textValue())) {
            throw OpenAiException.invalid(at + ".type", at + " must be {\"type\": \"function\", \"function\": {...}}");
        }
        JsonNode f = tool.get("function");
        if (f == null || !f.isObject()) {
            throw OpenAiException.invalid(at + ".function", at + ".function must be an object with a name");
        }
        JsonNode name = f.get("name");
        if (name == null || !name.isTextual() || !NAME.matcher(name.asText()).matches()) {
            throw OpenAiException.invalid(at + ".function.name", at + ".function.name is required: 1-64 letters, digits,"
                    + " underscores or dashes");
        }
        JsonNode description = f.get("description");
        if (description != null && !description.isNull() && !description.isTextual()) {
            throw OpenAiException.invalid(at + ".function.description", at + ".function.description must be a string");
        }
        JsonNode strict = f.get("strict");
        if (strict != null && !strict.isNull() && !strict.isBoolean()) {
            throw OpenAiException.invalid(at + ".function.strict", at + ".function.strict must be a boolean");
        }
        JsonNode parameters = f.get("parameters");
        Schema schema = null;
        if (parameters != null && !parameters.isNull()) {
            String p = at + ".function.parameters";
            if (!parameters.isObject()) {
                throw OpenAiException.invalid(p, p + " must be a JSON Schema object");
            }
            List<Error> errors = META.validate(parameters);
            if (!errors.isEmpty()) {
                throw OpenAiException.invalid(p, p + " is not a valid JSON Schema: " + describe(errors));
            }
            try {
                schema = SCHEMAS.getSchema(parameters);
            } catch (RuntimeException e) {
                throw OpenAiException.invalid(p, p + " is not a valid JSON Schema: " + e.getMessage());
            }
        }
        return new Function(name.asText(), description == null || description.isNull() ? "" : description.asText(),
                parameters == null || parameters.isNull() ? null : parameters, schema);
    }

    private static String describe(List<Error> errors) {
        List<String> out = new ArrayList<>();
        for (Error e : errors.subList(0, Math.min(3, errors.size()))) {
            out.add(e.getMessage());
        }
        return String.join("; ", out) + (errors.size() > 3 ? "; and " + (errors.size() - 3) + " more" : "");
    }

    /** Puts the functions and the choice into the upstream prompt (nothing when none is offered). */
    void into(ChatPrompt.Builder prompt) {
        if (!offered()) {
            return;
        }
        for (Function f : functions.values()) {
            prompt.addTools(Tool.newBuilder().setName(f.name()).setDescription(f.description())
                    .setParameters(f.parameters() == null ? "" : f.parameters().toString()));
        }
        prompt.setToolChoice(choice.equals("required") ? ToolChoice.TOOL_CHOICE_REQUIRED : ToolChoice.TOOL_CHOICE_AUTO);
        if (forced != null) {
            prompt.setToolName(forced);
        }
    }

    /**
     * @param written the calls the model wrote
     * @return the calls to return, each with a fresh {@code call_...} id (only the first when parallel
     *         calls are off); empty when any of them is not a valid call of these tools
     */
    List<ToolCall> accept(List<ToolCall> written) {
        if (!offered() || written.isEmpty()) {
            return List.of();
        }
        List<ToolCall> out = new ArrayList<>();
        for (ToolCall c : parallel ? written : written.subList(0, 1)) {
            Function f = functions.get(c.getName());
            if (f == null || (forced != null && !forced.equals(c.getName())) || !valid(f, c.getArguments())) {
                return List.of();
            }
            out.add(c.toBuilder().setId(newCallId()).build());
        }
        return out;
    }

    private static boolean valid(Function f, String arguments) {
        try {
            JsonNode args = JSON.readTree(arguments);
            if (args == null || !args.isObject()) {
                return false;
            }
            return f.schema() == null || f.schema().validate(args).isEmpty();
        } catch (java.io.IOException e) {
            return false;
        }
    }

    static String newCallId() {
        StringBuilder id = new StringBuilder("call_");
        for (int i = 0; i < 24; i++) {
            id.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return id.toString();
    }

    /** The ids of the calls in assistant messages, to check the tool messages that answer them. */
    static Set<String> callIds(List<Message> messages) {
        Set<String> ids = new HashSet<>();
        for (Message m : messages) {
            m.toolCalls().forEach(c -> ids.add(c.getId()));
        }
        return ids;
    }
}
