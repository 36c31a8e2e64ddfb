package io.cistern.examples.jobworker;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds entities in a document's text: e-mail addresses, IBANs and ISO dates. A stand-in for a real extractor (an NER
 * model, say). Pure and thread-safe.
 */
final class EntityExtractor {
    /** One entity found, with where it is in the text. */
    record Entity(String type, String value, String normalized, BigDecimal confidence, int start, int end) {}

    private record Rule(String type, Pattern pattern, BigDecimal confidence) {}

    private static final List<Rule> RULES = List.of(
            new Rule("email", Pattern.compile("[\\w.+-]+@[\\w-]+(\\.[\\w-]+)+"), new BigDecimal("0.9900")),
            new Rule(
                    "iban",
                    Pattern.compile("\\b[A-Z]{2}\\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\\b"),
                    new BigDecimal("0.9500")),
            new Rule("date", Pattern.compile("\\b\\d{4}-\\d{2}-\\d{2}\\b"), new BigDecimal("0.9000")));

    List<Entity> extract(String text) {
        List<Entity> found = new ArrayList<>();
        for (Rule rule : RULES) {
            Matcher m = rule.pattern().matcher(text);
            while (m.find()) {
                found.add(new Entity(
                        rule.type(),
                        m.group(),
                        normalize(rule.type(), m.group()),
                        rule.confidence(),
                        m.start(),
                        m.end()));
            }
        }
        found.sort(Comparator.comparingInt(Entity::start));
        return found;
    }

    private static String normalize(String type, String value) {
        return switch (type) {
            case "email" -> value.toLowerCase(Locale.ROOT);
            case "iban" -> value.replace(" ", "");
            default -> value;
        };
    }
}
