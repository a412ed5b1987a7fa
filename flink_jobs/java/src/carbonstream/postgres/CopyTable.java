package carbonstream.postgres;

import java.io.Serializable;
import java.time.LocalDate;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

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
    private static final String STAGE = "copy_stage";
    private static final String DELETED = "copy_stage_deleted";
    private static final long MILLIS_PER_DAY = 86_400_000L;
    private static final int[] POWERS_OF_TEN = {1, 10, 100, 1_000, 10_000, 100_000};

    private final String name;
    private final List<LogicalType> types;
    private final RowData.FieldGetter[] getters;
    private final int[] keyIndexes;
    private final boolean keyIsLeading;  // the key columns are the first columns, in order
    private final List<String> createStageSql;
    private final String copySql;
    private final String copyDeletedSql;
    private final String upsertSql;
    private final String deleteSql;

    CopyTable(String name, List<String> columns, List<DataType> dataTypes, List<String> keyColumns) {
        this.name = name;
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
        this.copyDeletedSql = "COPY " + DELETED + " (" + columnList(keyColumns) + ") FROM STDIN";
        // A staged row whose key exists overwrites the existing row's other columns.
        this.upsertSql = "INSERT INTO " + name + " (" + columnList(columns) + ") SELECT " + columnList(columns)
                + " FROM " + STAGE + " ON CONFLICT (" + columnList(keyColumns) + ") " + onConflict;
        this.deleteSql = "DELETE FROM " + name + " t USING " + DELETED + " d WHERE " + keyMatch;
    }

    String name() {
        return name;
    }

    List<String> createStageSql() {
        return createStageSql;
    }

    String copySql() {
        return copySql;
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

    /**
     * The row's primary key fields as COPY text, tab-separated, no newline (unique per key: escaped
     * text holds no raw tab). {@code line} is the row's {@link #line}, or null.
     */
    String key(RowData row, String line) {
        if (line != null && keyIsLeading) {  // the line begins with the key: cut it there
            int end = -1;
            for (int k = 0; k < keyIndexes.length; k++) {
                end = line.indexOf('\t', end + 1);
            }
            return line.substring(0, end < 0 ? line.length() - 1 : end);
        }
        StringBuilder text = new StringBuilder(64);
        for (int k = 0; k < keyIndexes.length; k++) {
            if (k > 0) {
                text.append('\t');
            }
            appendField(text, row, keyIndexes[k]);
        }
        return text.toString();
    }

    /** The row as one COPY text line, newline included. */
    String line(RowData row) {
        StringBuilder text = new StringBuilder(256);
        for (int i = 0; i < types.size(); i++) {
            if (i > 0) {
                text.append('\t');
            }
            appendField(text, row, i);
        }
        return text.append('\n').toString();
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
            default:  // BOOLEAN, integers, FLOAT, DOUBLE, DECIMAL (DecimalData prints plain notation)
                text.append(value);
        }
    }

    /** {@code yyyy-MM-dd HH:mm:ss.SSS[SSSSSS]+00}, digit by digit (LocalDateTime.toString cost ~1/3 of a line). */
    static void appendUtc(StringBuilder text, TimestampData timestamp) {
        long millis = timestamp.getMillisecond();
        LocalDate date = LocalDate.ofEpochDay(Math.floorDiv(millis, MILLIS_PER_DAY));
        if (date.getYear() < 0 || date.getYear() > 9999) {
            text.append(timestamp.toLocalDateTime()).append("+00");
            return;
        }
        long millisOfDay = Math.floorMod(millis, MILLIS_PER_DAY);
        appendDigits(text, date.getYear(), 4).append('-');
        appendDigits(text, date.getMonthValue(), 2).append('-');
        appendDigits(text, date.getDayOfMonth(), 2).append(' ');
        appendDigits(text, (int) (millisOfDay / 3_600_000), 2).append(':');
        appendDigits(text, (int) (millisOfDay / 60_000 % 60), 2).append(':');
        appendDigits(text, (int) (millisOfDay / 1000 % 60), 2).append('.');
        appendDigits(text, (int) (millisOfDay % 1000), 3);
        if (timestamp.getNanoOfMillisecond() != 0) {
            appendDigits(text, timestamp.getNanoOfMillisecond(), 6);
        }
        text.append("+00");
    }

    private static StringBuilder appendDigits(StringBuilder text, int value, int width) {
        for (int divisor = POWERS_OF_TEN[width - 1]; divisor > 0; divisor /= 10) {
            text.append((char) ('0' + value / divisor % 10));
        }
        return text;
    }

    static void appendEscaped(StringBuilder text, String value) {
        for (int i = 0; i < value.length(); i++) {
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
