package dev.berth.it.k8s;

import dev.berth.it.harness.ItPaths;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What the manifests must agree with in a service's own sources: its {@code application.properties} (HTTP port,
 * shutdown timeout, the settings and the environment variables it reads) and its {@code @ConfigMapping}
 * interfaces (with registry-core's shared mappings).
 */
final class ServiceModule {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z0-9_.-]+)");
    private static final Pattern MAPPING_PREFIX = Pattern.compile("@ConfigMapping\\(prefix\\s*=\\s*\"([^\"]+)\"");
    private static final Pattern METHOD = Pattern.compile("\\b([a-z][A-Za-z0-9]*)\\(\\)\\s*;");

    final String name;
    final Path dir;
    private final String propertiesText;
    private final Properties properties = new Properties();
    private final Set<String> mappingPrefixes = new HashSet<>();
    private final Set<String> mappingMethods = new HashSet<>();
    /** The words of the mapping methods' names, lower case: {@code accessKey()} gives access and key. */
    private final Set<String> mappingWords = new HashSet<>();

    private ServiceModule(String name) {
        this.name = name;
        this.dir = ItPaths.repoRoot().resolve(name);
        try {
            propertiesText = Files.readString(dir.resolve("src/main/resources/application.properties"));
            properties.load(new StringReader(propertiesText));
            for (Path root : List.of(dir.resolve("src/main/java"), ItPaths.repoRoot().resolve("registry-core/src/main/java"))) {
                try (Stream<Path> files = Files.walk(root)) {
                    for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                        readMapping(root, Files.readString(file));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final Map<String, ServiceModule> READ = new ConcurrentHashMap<>();

    /** The module {@code name}, read once per test JVM. */
    static ServiceModule of(String name) {
        return READ.computeIfAbsent(name, ServiceModule::new);
    }

    private void readMapping(Path root, String source) {
        boolean service = !root.startsWith(ItPaths.repoRoot().resolve("registry-core"));
        Matcher prefix = MAPPING_PREFIX.matcher(source);
        while (service && prefix.find()) {
            mappingPrefixes.add(prefix.group(1));
        }
        // the service's own mappings and registry-core's shared *Mapping interfaces they extend
        if (source.contains("@ConfigMapping") || source.contains("public interface") && source.contains("Mapping {")) {
            Matcher method = METHOD.matcher(source);
            while (method.find()) {
                mappingMethods.add(method.group(1));
                for (String word : method.group(1).split("(?=[A-Z])")) {
                    mappingWords.add(word.toLowerCase(Locale.ROOT));
                }
            }
        }
    }

    String property(String key) {
        String value = properties.getProperty(key);
        if (value == null) {
            throw new AssertionError(name + ": application.properties has no " + key);
        }
        return value.trim();
    }

    int httpPort() {
        return Integer.parseInt(property("quarkus.http.port"));
    }

    /** {@code quarkus.shutdown.timeout}, or zero when the service does not wait for requests in flight. */
    Duration shutdownTimeout() {
        String value = properties.getProperty("quarkus.shutdown.timeout");
        if (value == null) {
            return Duration.ZERO;
        }
        Matcher m = Pattern.compile("(\\d+)(ms|s|m)").matcher(value.trim());
        if (!m.matches()) {
            throw new AssertionError(name + ": unexpected quarkus.shutdown.timeout " + value);
        }
        long amount = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            default -> Duration.ofMinutes(amount);
        };
    }

    /** MicroProfile Config's environment form of a property name: non-alphanumerics to '_', upper case. */
    static String envForm(String property) {
        return property.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }

    /**
     * Whether the service reads the environment variable {@code env}: a variable its application.properties names
     * (<code>${REGISTRY_DB_USER:...}</code>), the environment form of one of its properties, or of a setting of one
     * of its {@code @ConfigMapping}s (prefix, then a setting whose last words name a method of the mapping).
     */
    boolean reads(String env) {
        Matcher placeholder = PLACEHOLDER.matcher(propertiesText);
        while (placeholder.find()) {
            if (envForm(placeholder.group(1)).equals(env)) {
                return true;
            }
        }
        for (String key : properties.stringPropertyNames()) {
            if (!key.startsWith("%") && envForm(key).equals(env)) {
                return true;
            }
        }
        for (String prefix : mappingPrefixes) {
            String start = envForm(prefix) + "_";
            if (env.startsWith(start)) {
                String[] words = env.substring(start.length()).toLowerCase(Locale.ROOT).split("_");
                // every word names a group or a setting of the mappings (REGISTRY_STORAGE_S4_BUCKET is refused)
                if (!mappingWords.containsAll(List.of(words))) {
                    continue;
                }
                // the setting's last words are the method: WORKER_NAME -> workerName(), S3_ACCESS_KEY -> accessKey()
                for (int n = 1; n <= Math.min(3, words.length); n++) {
                    StringBuilder method = new StringBuilder(words[words.length - n]);
                    for (int i = words.length - n + 1; i < words.length; i++) {
                        method.append(Character.toUpperCase(words[i].charAt(0))).append(words[i].substring(1));
                    }
                    if (mappingMethods.contains(method.toString())) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** Whether a file of the service's main sources contains {@code text}. */
    boolean sourceContains(String text) {
        try (Stream<Path> files = Files.walk(dir.resolve("src/main/java"))) {
            return files.filter(f -> f.toString().endsWith(".java")).anyMatch(f -> {
                try {
                    return Files.readString(f).contains(text);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether the service's pom has the dependency {@code artifactId}. */
    boolean hasDependency(String artifactId) {
        try {
            return Files.readString(dir.resolve("pom.xml")).contains("<artifactId>" + artifactId + "</artifactId>");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
