package io.github.chunkkv.convert;

import java.nio.file.Path;

/** {@code ./chunkkv import-llama2c MODEL.bin TOK.bin OUTDIR}: converts a llama2.c checkpoint to a Jlama model folder. */
public final class Llama2cImportCli {
    private Llama2cImportCli() {}

    public static void main(String[] args) {
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.println(usage());
            return;
        }
        if (args.length != 3) {
            System.err.println("import-llama2c: expected 3 arguments, got " + args.length + "\n" + usage());
            System.exit(2);
        }
        try {
            Path out = Llama2cImporter.importModel(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]));
            System.out.println("wrote Jlama model folder " + out);
        } catch (IllegalArgumentException e) {
            System.err.println("import-llama2c: " + e.getMessage());
            System.exit(2);
        } catch (Exception e) {
            System.err.println("import-llama2c: failed: " + e);
            System.exit(1);
        }
    }

    private static String usage() {
        return "Usage: ./chunkkv import-llama2c MODEL.bin TOK.bin OUTDIR\n"
                + "  MODEL.bin  llama2.c checkpoint (7 int32 header + float32 weights)\n"
                + "  TOK.bin    llama2.c tokenizer (e.g. tok512.bin) of the same vocabulary size\n"
                + "  OUTDIR     Jlama model folder to create (must not exist or be empty)";
    }
}
