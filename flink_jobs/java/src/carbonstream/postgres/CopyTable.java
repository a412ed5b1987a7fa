package carbonstream.postgres;

import java.io.Serializable;
import java.time.LocalDate;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.LogicalType;

/**
 * A PostgreSQL table as the sink writes it: its columns, primary key, SQL statements, and each row
 * as one line of COPY text format (fields tab-separated, NULL as {@code \N}).
 *
 * <p>Field text: strings with backslash, newline, carriage return and tab escaped; U+0000 (which
 * PostgreSQL text cannot hold) written as U+FFFD. Numbers as Java prints them (DECIMAL in plain
 * notation, exact). TIMESTAMP columns hold UTC wall time (the jobs run with
 * {@code table.local-time-zone} = UTC) and are written with an explicit {@code +00} offset,
 * TIMESTAMP_LTZ as an instant, so the machine's time zone never shifts a value.
 */
final class CopyTable implements Serializable {

    private static final long serialVersionUID = 1L;
    static final String STAGE = "copy_stage";
    private static final String DELETED = "copy_stage_deleted";
    private static final long MILLIS_PER_DAY = 86_400_000L;
    private static final char[] DIGIT_PAIRS = new char[200];  // "00" "01" ... "99"

    static {
        for (int i = 0; i < 100; i++) {
            DIGIT_PAIRS[2 * i] = (char) ('0' + i / 10);
            DIGIT_PAIRS[2 * i + 1] = (char) ('0' + i % 10);
        }
    }

    private final String name;
    private final List<LogicalType> types;
    private final RowData.FieldGetter[] getters;
    private final int[] keyIndexes;
    private final boolean keyIsLeading;  // the key columns are the first columns, in order
    private final List<String> createStageSql;
    private final String copySql;
    private final String copyIntoTableSql;
    private final String copyDeletedSql;
    private final String upsertSql;
    private final String deleteSql;
    private final List<String> columns;
    private transient long lastEpochDay;  // appendUtc's cache: the last day written and its text
    private transient String lastDateText;

    CopyTable(String name, List<String> columns, List<DataType> dataTypes, List<String> keyColumns) {
        this.name = name;
        this.columns = List.copyOf(columns);
        this.types = dataTypes.stream().map(DataType::getLogicalType).collect(Collectors.toUnmodifiableList());
        types.forEach(CopyTable::requireSupported);
        this.getters = IntStream.range(0, types.size())
                .mapToObj(i -> RowData.createFieldGetter(types.get(i), i)).toArray(RowData.FieldGetter[]::new);
        this.keyIndexes = keyColumns.stream().mapToInt(columns::indexOf).toArray();
        this.keyIsLeading = IntStream.range(0, keyIndexes.length).allMatch(k -> keyIndexes[k] == k);
        List<String> updates = columns.stream().filter(c -> !keyColumns.contains(c))
                .map(c -> quote(c) + " = EXCLUDED." + quote(c)).collect(Collectors.toList());
        String onConflict = updates.isEmpty() ? "DO NOTHING" : "DO UPDATE SET " + String.join(", ", updates);
        String keyMatch = keyColumns.stream().map(k -> "t." + quote(k) + " = d." + quote(k))
                .collect(Collectors.joining(" AND "));
        // Session-private staging tables, emptied at each commit: one shaped like the target (its
        // defaults included) for rows to upsert, one of the key columns for keys to delete.
        this.createStageSql = List.of(
                "CREATE TEMP TABLE IF NOT EXISTS " + STAGE + " (LIKE " + name + " INCLUDING DEFAULTS) ON COMMIT DELETE ROWS",
                "CREATE TEMP TABLE IF NOT EXISTS " + DELETED + " ON COMMIT DELETE ROWS AS SELECT "
                        + columnList(keyColumns) + " FROM " + name + " WITH NO DATA");
        this.copySql = "COPY " + STAGE + " (" + columnList(columns) + ") FROM STDIN";
        this.copyIntoTableSql = "COPY " + name + " (" + columnList(columns) + ") FROM STDIN";
        this.copyDeletedSql = "COPY " + DELETED + " (" + columnList(keyColumns) + ") FROM STDIN";
        // A staged row whose key exists overwrites the existing row's other columns.
        this.upsertSql = "INSERT INTO " + name + " (" + columnList(columns) + ") SELECT " + columnList(columns)
                + " FROM " + STAGE + " ON CONFLICT (" + columnList(keyColumns) + ") " + onConflict;
        this.deleteSql = "DELETE FROM " + name + " t USING " + DELETED + " d WHERE " + keyMatch;
    }

    String name() {
        return name;
    }

    /** The column's position, or -1 if the table has no such column. */
    int columnIndex(String column) {
        return columns.indexOf(column);
    }

    /** Creates the session's staging tables (if absent): rows to upsert, keys to delete. */
    List<String> createStageSql() {
        return createStageSql;
    }

    /** Creates the session's staging table of rows (if absent) alone: what an apply sink COPYs into. */
    String createRowStageSql() {
        return createStageSql.get(0);
    }

    String copySql() {
        return copySql;
    }

    /** COPY straight into the table (the insert-first path: fails on an existing key). */
    String copyIntoTableSql() {
        return copyIntoTableSql;
    }

    String copyDeletedSql() {
        return copyDeletedSql;
    }

    String upsertSql() {
        return upsertSql;
    }

    String deleteSql() {
        return deleteSql;
    }

    /** The row's primary key fields as COPY text, tab-separated (unique per key: escaped text holds no raw tab). */
    String key(RowData row) {
        StringBuilder text = new StringBuilder(64);
        for (int k = 0; k < keyIndexes.length; k++) {
            if (k > 0) {
                text.append('\t');
            }
            appendField(text, row, keyIndexes[k]);
        }
        return text.toString();
    }

    /** The same key taken from the row's {@link #line}: its key fields, found between the line's tabs. */
    String key(String line) {
        int lineEnd = line.length() - 1;  // before the newline
        if (keyIsLeading) {  // the line begins with the key: cut it at the tab after the last key field
            int end = -1;
            for (int k = 0; k < keyIndexes.length; k++) {
                end = line.indexOf('\t', end + 1);
                if (end < 0) {
                    return line.substring(0, lineEnd);  // every column is a key column
                }
            }
            return line.substring(0, end);
        }
        String[] values = line.substring(0, lineEnd).split("\t", -1);
        return IntStream.of(keyIndexes).mapToObj(k -> values[k]).collect(Collectors.joining("\t"));
    }

    /** The row as one COPY text line, newline included. */
    String line(RowData row) {
        StringBuilder text = new StringBuilder(256);
        appendLine(text, row);
        return text.toString();
    }

    /** Appends the row's COPY text line, newline included. */
    void appendLine(StringBuilder text, RowData row) {
        for (int i = 0; i < types.size(); i++) {
            if (i > 0) {
                text.append('\t');
            }
            appendField(text, row, i);
        }
        text.append('\n');
    }

    /** One field's value as Flink holds it (StringData, DecimalData, TimestampData, boxed numbers), or null. */
    Object field(RowData row, int index) {
        return getters[index].getFieldOrNull(row);
    }

    private void appendField(StringBuilder text, RowData row, int index) {
        Object value = getters[index].getFieldOrNull(row);
        if (value == null) {
            text.append("\\N");
            return;
        }
        switch (types.get(index).getTypeRoot()) {
            case CHAR:
            case VARCHAR:
                appendEscaped(text, value.toString());
                break;
            case TIMESTAMP_WITHOUT_TIME_ZONE:
                appendUtc(text, (TimestampData) value);
                break;
            case TIMESTAMP_WITH_LOCAL_TIME_ZONE:
                text.append(((TimestampData) value).toInstant());
                break;
            case DECIMAL:
                appendDecimal(text, (DecimalData) value);
                break;
            default:  // BOOLEAN, integers, FLOAT, DOUBLE
                text.append(value);
        }
    }

    /**
     * {@code yyyy-MM-dd HH:mm:ss.SSS[SSSSSS]+00}: the date text is kept for the last day written (rows
     * of one flush mostly share a few days), the time of day written digit pair by digit pair
     * (java.time's formatting cost ~1/3 of a line, dividing digit by digit ~5 % of the TaskManager).
     */
    private void appendUtc(StringBuilder text, TimestampData timestamp) {
        long millis = timestamp.getMillisecond();
        long epochDay = Math.floorDiv(millis, MILLIS_PER_DAY);
        if (epochDay != lastEpochDay || lastDateText == null) {
            LocalDate date = LocalDate.ofEpochDay(epochDay);
            if (date.getYear() < 0 || date.getYear() > 9999) {
                text.append(timestamp.toLocalDateTime()).append("+00");
                return;
            }
            lastEpochDay = epochDay;
            lastDateText = date + " ";
        }
        int millisOfDay = (int) Math.floorMod(millis, MILLIS_PER_DAY);
        text.append(lastDateText);
        appendPair(text, millisOfDay / 3_600_000).append(':');
        appendPair(text, millisOfDay / 60_000 % 60).append(':');
        appendPair(text, millisOfDay / 1000 % 60).append('.');
        int millisOfSecond = millisOfDay % 1000;
        text.append((char) ('0' + millisOfSecond / 100));
        appendPair(text, millisOfSecond % 100);
        int nanos = timestamp.getNanoOfMillisecond();
        if (nanos != 0) {
            appendPair(text, nanos / 10_000);
            appendPair(text, nanos / 100 % 100);
            appendPair(text, nanos % 100);
        }
        text.append("+00");
    }

    /** Two digits of a number 0-99. */
    private static StringBuilder appendPair(StringBuilder text, int value) {
        return text.append(DIGIT_PAIRS[2 * value]).append(DIGIT_PAIRS[2 * value + 1]);
    }

    /**
     * A DECIMAL in plain notation. Compact values (precision at most 18: single events' kg CO2e) from
     * their unscaled long, without a BigDecimal; wider ones (sums) through BigDecimal.
     */
    private static void appendDecimal(StringBuilder text, DecimalData decimal) {
        if (!decimal.isCompact() || decimal.scale() == 0) {
            text.append(decimal.toBigDecimal().toPlainString());
            return;
        }
        long unscaled = decimal.toUnscaledLong();
        if (unscaled < 0) {
            text.append('-');
        }
        String digits = Long.toString(Math.abs(unscaled));  // |unscaled| < 10^18: no overflow
        int integerDigits = digits.length() - decimal.scale();
        if (integerDigits > 0) {
            text.append(digits, 0, integerDigits).append('.').append(digits, integerDigits, digits.length());
        } else {
            text.append("0.");
            for (int i = integerDigits; i < 0; i++) {
                text.append('0');
            }
            text.append(digits);
        }
    }

    /** The text with COPY's special characters escaped; a text without any (the usual case) is copied whole. */
    static void appendEscaped(StringBuilder text, String value) {
        int plain = 0;
        while (plain < value.length() && !isSpecial(value.charAt(plain))) {
            plain++;
        }
        if (plain == value.length()) {
            text.append(value);
            return;
        }
        text.append(value, 0, plain);
        for (int i = plain; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\': text.append("\\\\"); break;
                case '\n': text.append("\\n"); break;
                case '\r': text.append("\\r"); break;
                case '\t': text.append("\\t"); break;
                case '\0': text.append('\uFFFD'); break;
                default: text.append(c);
            }
        }
    }

    private static boolean isSpecial(char c) {
        return c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\0';
    }

    private static void requireSupported(LogicalType type) {
        switch (type.getTypeRoot()) {
            case CHAR: case VARCHAR: case BOOLEAN: case TINYINT: case SMALLINT: case INTEGER: case BIGINT:
            case FLOAT: case DOUBLE: case DECIMAL: case TIMESTAMP_WITHOUT_TIME_ZONE: case TIMESTAMP_WITH_LOCAL_TIME_ZONE:
                return;
            default:
                throw new IllegalArgumentException("postgres-copy sink: column type " + type + " is not supported");
        }
    }

    private static String columnList(List<String> names) {
        return names.stream().map(CopyTable::quote).collect(Collectors.joining(", "));
    }

    private static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
