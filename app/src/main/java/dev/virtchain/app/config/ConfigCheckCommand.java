package dev.virtchain.app.config;

import dev.virtchain.app.cli.ConnectOption;
import dev.virtchain.app.cli.ExitCodes;
import dev.virtchain.app.cli.Json;
import dev.virtchain.app.cli.JsonOption;
import dev.virtchain.app.libvirt.Hypervisor;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "check",
        mixinStandardHelpOptions = true,
        description = {"Check the config file and print the effective settings of each domain: of the domains "
                + "-d names, else of every domain libvirt knows at the file's uri (or -c's).",
                "A bad file exits 1 with one line naming the file, the line and the key. A file that is fine "
                + "exits 0, also when libvirt cannot be asked for its domains (a warning says so)."},
        footer = {"",
                "Examples:",
                "  virtchain config check",
                "  virtchain config check --config ./virtchain.toml -d web01 -d db01",
                "  virtchain config check --json"})
public final class ConfigCheckCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE",
            description = "The config file (default: /etc/virtchain/virtchain.toml).")
    Path config;

    @Option(names = {"-d", "--domain"}, paramLabel = "DOMAIN",
            description = "Show this domain's settings (repeatable) instead of asking libvirt for every domain.")
    List<String> domains = new ArrayList<>();

    @Mixin
    ConnectOption connect;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() throws Exception {
        Path file = config != null ? config : ConfigFile.DEFAULT;
        HostConfig c = ConfigFile.read(file);
        String uri = connect.given().orElse(c.uri() != null ? c.uri() : connect.uri());
        PrintWriter err = spec.commandLine().getErr();
        List<String> names = domains;
        if (names.isEmpty()) {
            try (Hypervisor hv = Hypervisor.connect(uri)) {
                names = hv.domainNames();
            } catch (Exception e) {
                err.println("virtchain: warning: cannot list the domains on " + uri + " (" + ExitCodes.describe(e)
                        + "): showing what every domain gets; name domains with -d");
                names = List.of("*");
            }
        }
        List<DomainSettings> effective = new ArrayList<>();
        for (String n : names) {
            effective.add(c.resolve(n, Settings.NONE));
        }
        print(file, c, uri, effective);
        err.flush();
        return ExitCodes.OK;
    }

    private void print(Path file, HostConfig c, String uri, List<DomainSettings> effective) {
        PrintWriter out = spec.commandLine().getOut();
        int parallel = c.parallel() == null ? 1 : c.parallel();
        if (json.json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("file", file.toAbsolutePath().toString());
            m.put("uri", uri);
            m.put("parallel", parallel);
            List<Object> ds = new ArrayList<>();
            effective.forEach(d -> ds.add(d.json()));
            m.put("domains", ds);
            out.println(Json.pretty(m));
        } else {
            out.println(file + ": ok; uri " + uri + ", " + parallel + " domain" + (parallel == 1 ? "" : "s")
                    + " at once");
            effective.forEach(d -> out.println("  " + d.describe()));
        }
        out.flush();
    }
}
