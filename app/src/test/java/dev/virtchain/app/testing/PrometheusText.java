package dev.virtchain.app.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.virtchain.qcow2.testing.Processes;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A Prometheus text file as the Prometheus project's own parser reads it: the official Python
 * client's {@code prometheus_client.parser} (Debian's python3-prometheus-client), run on the file.
 * A file it cannot parse fails the test with the parser's words. Tests never parse the format themselves.
 */
public final class PrometheusText {
    private static final String PARSE = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            out = []
            for f in text_string_to_metric_families(open(sys.argv[1], encoding='utf-8').read()):
                out.append({'name': f.name, 'type': f.type, 'help': f.documentation,
                            'samples': [{'name': s.name, 'labels': s.labels, 'value': s.value} for s in f.samples]})
            print(json.dumps(out))
            """;

    /** One metric family: its name, type and help, and its samples. */
    public record Family(String name, String type, String help, List<Sample> samples) {
    }

    /** One sample: its labels and value. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private final List<Family> families;

    private PrometheusText(List<Family> families) {
        this.families = families;
    }

    /** Parses {@code file}; the test fails when the parser refuses it. */
    public static PrometheusText parse(Path file) throws IOException {
        // Debian's python3, where python3-prometheus-client installs: not a python3 of pyenv or a venv first on PATH.
        Processes.Result r = Processes.run(file.toAbsolutePath().getParent(), Duration.ofMinutes(1),
                "apt-get install python3-prometheus-client", List.of("/usr/bin/python3", "-c", PARSE, file.toString()));
        if (r.exitCode() != 0) {
            throw new AssertionError("the Prometheus parser refuses " + file + ": " + r.stderr());
        }
        List<Family> families = new ArrayList<>();
        for (JsonNode f : new ObjectMapper().readTree(r.stdout())) {
            List<Sample> samples = new ArrayList<>();
            for (JsonNode s : f.get("samples")) {
                Map<String, String> labels = new TreeMap<>();
                s.get("labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
                samples.add(new Sample(s.get("name").asText(), labels, s.get("value").asDouble()));
            }
            families.add(new Family(f.get("name").asText(), f.get("type").asText(), f.get("help").asText(), samples));
        }
        return new PrometheusText(families);
    }

    public List<Family> families() {
        return families;
    }

    public Optional<Family> family(String name) {
        return families.stream().filter(f -> f.name().equals(name)).findFirst();
    }

    /** The value of metric {@code name} for domain {@code domain}, if the file has it. */
    public Optional<Double> value(String name, String domain) {
        return family(name).flatMap(f -> f.samples().stream().filter(s -> domain.equals(s.labels().get("domain")))
                .map(Sample::value).findFirst());
    }
}
