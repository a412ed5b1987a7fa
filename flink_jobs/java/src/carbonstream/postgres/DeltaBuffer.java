package carbonstream.postgres;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.Map;

import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.DecimalType;

/**
 * One flush of a delta sink ({@code sink.delta.*} options): the rows that arrived since the last
 * flush, merged per primary key into one delta row. Sum columns are added (exact: integers, or
 * DECIMAL as unscaled longs, widened to BigInteger on overflow), min and max columns keep the
 * smallest and largest value, every other column keeps the key's first value. {@link #lines()} is
 * the flush as COPY text, one line per key.
 */
final class DeltaBuffer {

    /** A column's role in the delta row. */
    enum Role { OTHER, SUM, MIN, MAX }

    private final CopyTable table;
    private final Role[] roles;
    private final int[] scales;  // DECIMAL scale of each column (0 for the others)
    private final Map<String, Merged> byKey;

    /** {@code roles}: from {@link CopyTable#deltaRoles}, which checked the columns' types. */
    DeltaBuffer(CopyTable table, Role[] roles, int expectedKeys) {
        this.table = table;
        this.roles = roles;
        this.scales = new int[roles.length];
        for (int i = 0; i < roles.length; i++) {
            scales[i] = table.type(i) instanceof DecimalType decimal ? decimal.getScale() : 0;
        }
        this.byKey = new HashMap<>(Math.max(16, expectedKeys * 4 / 3 + 1));
    }

    int size() {
        return byKey.size();
    }

    void add(RowData row) {
        String key = table.key(row);
        Merged merged = byKey.get(key);
        if (merged == null) {
            byKey.put(key, new Merged(row));
        } else {
            merged.add(row);
        }
    }

    /** The merged rows as COPY text lines, newline included. */
    String lines() {
        StringBuilder text = new StringBuilder(byKey.size() * 128);
        for (Merged merged : byKey.values()) {
            for (int i = 0; i < roles.length; i++) {
                if (i > 0) {
                    text.append('\t');
                }
                if (roles[i] == Role.OTHER) {
                    text.append(merged.others[i]);
                } else if (merged.wide != null && merged.wide[i] != null) {
                    text.append(new BigDecimal(merged.wide[i], scales[i]).toPlainString());
                } else {
                    text.append(BigDecimal.valueOf(merged.values[i], scales[i]).toPlainString());
                }
            }
            text.append('\n');
        }
        return text.toString();
    }

    private long value(RowData row, int i) {
        if (row.isNullAt(i)) {
            throw new IllegalArgumentException("postgres-copy delta column " + i + " of " + table.name() + " is NULL");
        }
        return switch (table.type(i).getTypeRoot()) {
            case BIGINT -> row.getLong(i);
            case INTEGER -> row.getInt(i);
            case SMALLINT -> row.getShort(i);
            default -> {
                DecimalType type = (DecimalType) table.type(i);
                DecimalData decimal = row.getDecimal(i, type.getPrecision(), type.getScale());
                yield decimal.toUnscaledLong();
            }
        };
    }

    /** One key's delta row so far. */
    private final class Merged {
        final String[] others = new String[roles.length];
        final long[] values = new long[roles.length];
        BigInteger[] wide;  // a sum past Long.MAX_VALUE (e.g. many events at the contract's maximum mass)

        Merged(RowData row) {
            for (int i = 0; i < roles.length; i++) {
                if (roles[i] == Role.OTHER) {
                    others[i] = table.fieldText(row, i);
                } else {
                    values[i] = value(row, i);
                }
            }
        }

        void add(RowData row) {
            for (int i = 0; i < roles.length; i++) {
                switch (roles[i]) {
                    case SUM -> addToSum(i, value(row, i));
                    case MIN -> values[i] = Math.min(values[i], value(row, i));
                    case MAX -> values[i] = Math.max(values[i], value(row, i));
                    default -> { }
                }
            }
        }

        private void addToSum(int i, long delta) {
            if (wide != null && wide[i] != null) {
                wide[i] = wide[i].add(BigInteger.valueOf(delta));
                return;
            }
            try {
                values[i] = Math.addExact(values[i], delta);
            } catch (ArithmeticException overflow) {
                if (wide == null) {
                    wide = new BigInteger[roles.length];
                }
                wide[i] = BigInteger.valueOf(values[i]).add(BigInteger.valueOf(delta));
            }
        }
    }
}
