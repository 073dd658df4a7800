package io.github.chunkkv.convert;

import io.github.chunkkv.cli.ExitCodes;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ./chunkkv import MODEL.bin TOK.bin OUTDIR}: converts a llama2.c checkpoint to a Jlama model folder. */
@Command(name = "import", description = "Converts a llama2.c checkpoint and its tokenizer to a Jlama model folder.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the folder was written", "2:bad arguments or input files (nothing is written)", "1:any other failure"})
public final class ImportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL.bin", description = "llama2.c checkpoint (7 int32 header + float32 weights)")
    Path checkpoint;

    @Parameters(index = "1", paramLabel = "TOK.bin", description = "llama2.c tokenizer (e.g. tok512.bin) of the same vocabulary size")
    Path tokenizer;

    @Parameters(index = "2", paramLabel = "OUTDIR", description = "Jlama model folder to create (must not exist or be empty)")
    Path target;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command with the launcher's exit codes: bad input files count as usage errors, like bad arguments. */
    static CommandLine commandLine() {
        return ExitCodes.commandLine(new ImportCommand());
    }

    @Override
    public Integer call() throws Exception {
        Path out = Llama2cImporter.importModel(checkpoint, tokenizer, target);
        spec.commandLine().getOut().println("wrote Jlama model folder " + out);
        return ExitCodes.OK;
    }
}
