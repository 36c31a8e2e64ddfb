package io.cistern.schema.wire;

import io.cistern.schema.codec.ChangeEntry;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lua scripts that Java code sends with {@code EVAL} take their field names from the wire constants, not from their
 * own spelling: a script is written as a template in which {@code ${RecordFields.VERSION}} stands for the constant's
 * value, and {@link #render(String)} fills it in once, when the class holding the script loads. A placeholder that
 * names no constant fails at that moment, naming it.
 *
 * <p>The names are every public {@code static final String} of {@link MetaFields}, {@link ConfigFields}, {@link
 * RecordFields}, {@link DeadLetterFields} and {@link ChangeEntry}, by {@code SimpleClassName.FIELD}. The Function
 * library {@code cistern_v1.lua} is checked against the same constants by {@code FunctionWireContractIT} instead.
 */
public final class WireScript {
    private static final List<Class<?>> OWNERS = List.of(
            MetaFields.class, ConfigFields.class, RecordFields.class, DeadLetterFields.class, ChangeEntry.class);
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z]+\\.[A-Z_]+)}");
    private static final Map<String, String> NAMES = names();

    private WireScript() {}

    /**
     * The script with every {@code ${Owner.CONSTANT}} replaced by that constant's value.
     *
     * @throws IllegalArgumentException naming a placeholder that is not a wire constant
     */
    public static String render(String template) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder(template.length());
        while (m.find()) {
            String value = NAMES.get(m.group(1));
            if (value == null) {
                throw new IllegalArgumentException("${" + m.group(1) + "} in a Lua script names no wire constant;"
                        + " use one of " + NAMES.keySet());
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static Map<String, String> names() {
        Map<String, String> names = new TreeMap<>();
        for (Class<?> owner : OWNERS) {
            for (Field f : owner.getFields()) {
                int mod = f.getModifiers();
                if (Modifier.isStatic(mod) && Modifier.isFinal(mod) && f.getType() == String.class) {
                    try {
                        names.put(owner.getSimpleName() + "." + f.getName(), (String) f.get(null));
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException(owner.getName() + "." + f.getName() + " is not readable", e);
                    }
                }
            }
        }
        return Map.copyOf(names);
    }
}
