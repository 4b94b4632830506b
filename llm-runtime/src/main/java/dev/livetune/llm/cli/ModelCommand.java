package dev.livetune.llm.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** A command that runs on one model directory and prints one JSON result. */
abstract class ModelCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    RuntimeOptions runtime;

    @Option(names = "--model", required = true, description = "Hugging Face model directory")
    Path model;

    /** Prints the command's single JSON result line to stdout. */
    void print(Object result) {
        Json.print(spec.commandLine().getOut(), result);
    }
}
