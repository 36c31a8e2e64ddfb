package io.cistern.ops;

import io.cistern.schema.failure.CisternException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The entry point of {@code ops/cistern}. */
@Command(
        name = "cistern",
        mixinStandardHelpOptions = true,
        versionProvider = CisternCli.Version.class,
        description = "Cistern: a Redis-buffered write-behind pipeline for PostgreSQL.",
        subcommands = {
            InitCommand.class,
            UnregisterCommand.class,
            WriterApiCommand.class,
            SyncWorkerCommand.class,
            RedisProxyCommand.class,
            UpCommand.class,
            DoctorCommand.class,
            ConfigCommand.class,
            DlqCommand.class,
            LagCommand.class,
            LeasesCommand.class,
            PartitionsCommand.class,
            PauseCommand.class,
            PauseCommand.ResumeCommand.class,
            DrainCommand.class,
            BenchCommand.class,
            CommandLine.HelpCommand.class
        })
public final class CisternCli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // jOOQ prints a 20-line banner and a "tip of the day" the first time it renders SQL; a command line is no
        // place for either. An operator's own -D setting wins.
        setIfAbsent("org.jooq.no-logo", "true");
        setIfAbsent("org.jooq.no-tips", "true");
        if (keepsRunning(args)) {
            exitCleanlyOnSigterm();
        }
        int code = commandLine().execute(args);
        if (code != 0 || !keepsRunning(args)) {
            System.exit(code);
        }
    }

    private static void setIfAbsent(String property, String value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, value);
        }
    }

    /**
     * A service stopped with SIGTERM (a deploy, {@code docker stop}, Kubernetes) shuts down in order — the shutdown
     * hooks stop reading, commit and acknowledge the batches in hand and release the leases — and then exits 0, not
     * the JVM's default 143, so that supervisors see a clean stop.
     */
    @SuppressWarnings("restriction")
    private static void exitCleanlyOnSigterm() {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> System.exit(0));
        } catch (IllegalArgumentException e) {
            // No SIGTERM on this platform: the JVM's default handling applies.
        }
    }

    /** The command line with Cistern's error handling: operational failures print their message, not a trace. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new CisternCli());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            if (e instanceof CisternException
                    || e instanceof IllegalArgumentException
                    || e instanceof IllegalStateException) {
                err.println("cistern " + commandLine.getCommandName() + ": " + e.getMessage());
                return 1;
            }
            throw e;
        });
        return cli;
    }

    /** Services keep running after their command returns (their threads are not daemons). */
    private static boolean keepsRunning(String[] args) {
        return args.length > 0
                && (args[0].equals("up")
                        || args[0].equals("writer-api")
                        || args[0].equals("sync-worker")
                        || args[0].equals("redis-proxy"));
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = CisternCli.class.getPackage().getImplementationVersion();
            return new String[] {"cistern " + (v == null ? "(development build)" : v)};
        }
    }
}
