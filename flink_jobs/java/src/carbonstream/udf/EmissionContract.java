package carbonstream.udf;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonProcessingException;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.DeserializationFeature;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.types.Row;

/**
 * The emission event contract (carbon_stream/events.py) applied to one raw Kafka record: the JSON is
 * parsed once and checked field by field. The job passes the contract's constants in, so the ingest
 * API and the job share one definition.
 *
 * <p>Result (a row of {@link #RESULT_TYPE}): the typed fields and a NULL {@code reason} for an
 * accepted record; for a refused one only {@code reason} ("field: why", the first rule broken, in
 * field order) and {@code event_time}. {@code event_time} is occurred_at (UTC, milliseconds) of an
 * accepted record, else the Kafka timestamp, so a malformed record can neither stop the job nor drag
 * its watermark.
 *
 * <p>Accepted iff: a JSON object; event_id a UUID string; org_id and category strings matching their
 * patterns; occurred_at an RFC 3339 string with offset naming a real instant, within
 * [kafka_timestamp - horizon_days, kafka_timestamp + max_future_skew_s]; co2e_kg a number or numeric
 * string, rounded half-even to 6 decimals (1 mg), 0 &lt;= co2e_kg &lt;= co2e_kg_max; scope the JSON
 * integer 1, 2 or 3; source absent, null or a string of at most 128 characters; attributes absent,
 * null or an object of at most 20 string values with keys of 1-64 and values of at most 256
 * characters. Source and attribute strings hold no U+0000. Unknown fields are ignored.
 */
final class EmissionContract {

    static final String RESULT_TYPE = "ROW<event_id STRING, org_id STRING, occurred_at TIMESTAMP(3), "
            + "co2e_kg DECIMAL(18, 6), `scope` SMALLINT, category STRING, source STRING, attributes STRING, "
            + "reason STRING, event_time TIMESTAMP(3)>";
    private static final Pattern RFC3339 = Pattern.compile(
            "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})");
    private static final int EVENT_ID = 0;
    private static final int ORG_ID = 1;
    private static final int OCCURRED_AT = 2;
    private static final int CO2E_KG = 3;
    private static final int SCOPE = 4;
    private static final int CATEGORY = 5;
    private static final int SOURCE = 6;
    private static final int ATTRIBUTES = 7;
    private static final int REASON = 8;
    static final int EVENT_TIME = 9;
    private static final int SOURCE_MAX_CHARS = 128;
    private static final int ATTRIBUTES_MAX = 20;
    private static final int ATTRIBUTE_KEY_MAX_CHARS = 64;
    private static final int ATTRIBUTE_VALUE_MAX_CHARS = 256;
    private static final int CO2E_KG_SCALE = 6;

    private static final Map<List<String>, EmissionContract> COMPILED = new ConcurrentHashMap<>();
    private static final ThreadLocal<LastParse> LAST_PARSE = ThreadLocal.withInitial(LastParse::new);

    /** One thread's last {@link #parse} call and its row (callers only read the row). */
    private static final class LastParse {
        EmissionContract contract;
        String payload;
        Instant kafkaTimestamp;
        int horizonDays;
        int maxFutureSkewS;
        Row row;
    }

    private final ObjectMapper json = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private final List<String> rules;  // the arguments it was compiled from
    private final Pattern uuid;
    private final Pattern orgId;
    private final Pattern category;
    private final BigDecimal co2eKgMax;

    /** {@code rules}: co2e_kg maximum, then the uuid, org_id and category patterns. */
    private EmissionContract(List<String> rules) {
        this.rules = rules;
        co2eKgMax = new BigDecimal(rules.get(0));
        uuid = Pattern.compile(rules.get(1));
        orgId = Pattern.compile(rules.get(2));
        category = Pattern.compile(rules.get(3));
    }

    /**
     * ``current`` when it was built from these rules, else the one contract compiled from them (shared
     * by every function instance: it is immutable, and {@link #parse} recognises its own last answer).
     */
    static EmissionContract of(EmissionContract current, String co2eKgMaxText, String uuidPattern,
            String orgIdPattern, String categoryPattern) {
        if (current != null && current.rules.get(0).equals(co2eKgMaxText) && current.rules.get(1).equals(uuidPattern)
                && current.rules.get(2).equals(orgIdPattern) && current.rules.get(3).equals(categoryPattern)) {
            return current;  // called per record: the literals are the same objects, so equals() is one comparison
        }
        List<String> rules = List.of(co2eKgMaxText, uuidPattern, orgIdPattern, categoryPattern);
        return COMPILED.computeIfAbsent(rules, EmissionContract::new);
    }

    /**
     * The record's row. The job asks up to three times per record on one thread (the watermark's
     * event_time, the projected event_time, parse_emission), so the thread's last answer is reused
     * when the same contract sees the same record again: one JSON parse per record.
     */
    Row parse(String payload, Instant kafkaTimestamp, int horizonDays, int maxFutureSkewS) {
        LastParse last = LAST_PARSE.get();
        if (last.contract == this && last.horizonDays == horizonDays && last.maxFutureSkewS == maxFutureSkewS
                && Objects.equals(last.kafkaTimestamp, kafkaTimestamp)
                && Objects.equals(last.payload, payload)) {
            return last.row;
        }
        Row row = parseAnew(payload, kafkaTimestamp, horizonDays, maxFutureSkewS);
        last.contract = this;
        last.payload = payload;
        last.kafkaTimestamp = kafkaTimestamp;
        last.horizonDays = horizonDays;
        last.maxFutureSkewS = maxFutureSkewS;
        last.row = row;
        return row;
    }

    private Row parseAnew(String payload, Instant kafkaTimestamp, int horizonDays, int maxFutureSkewS) {
        Row row = Row.withPositions(EVENT_TIME + 1);
        String reason;
        try {
            reason = check(row, payload, kafkaTimestamp, horizonDays, maxFutureSkewS);
        } catch (RuntimeException e) {  // never expected; a record must not stop the job whatever it holds
            reason = "payload: could not be read (" + e.getClass().getSimpleName() + ")";
        }
        if (reason == null) {
            row.setField(EVENT_TIME, row.getField(OCCURRED_AT));
            return row;
        }
        Row refused = Row.withPositions(EVENT_TIME + 1);
        refused.setField(REASON, reason);
        refused.setField(EVENT_TIME, kafkaTimestamp == null ? null : LocalDateTime.ofInstant(kafkaTimestamp, ZoneOffset.UTC));
        return refused;
    }

    /** Fills {@code row} field by field; returns the first reason the record is refused, or null. */
    private String check(Row row, String payload, Instant kafkaTimestamp, int horizonDays, int skewS) {
        if (payload == null) {
            return "payload: empty record";
        }
        if (kafkaTimestamp == null) {
            return "payload: the Kafka record has no timestamp";
        }
        JsonNode event;
        try {
            event = json.readTree(payload);
        } catch (JsonProcessingException e) {
            event = null;
        }
        if (event == null || !event.isObject()) {
            return "payload: not a JSON object";
        }
        String eventId = text(event, "event_id");
        if (eventId == null || !uuid.matcher(eventId).matches()) {
            return "event_id: must be a UUID";
        }
        row.setField(EVENT_ID, eventId.toLowerCase(Locale.ROOT));
        String org = text(event, "org_id");
        if (org == null || !orgId.matcher(org).matches()) {
            return "org_id: must be 1-64 letters, digits or _.:- (starting with a letter or digit)";
        }
        row.setField(ORG_ID, org);
        LocalDateTime occurredAt = utcMillis(text(event, "occurred_at"));
        if (occurredAt == null) {
            return "occurred_at: must be an RFC 3339 timestamp with offset";
        }
        LocalDateTime kafkaTime = LocalDateTime.ofInstant(kafkaTimestamp, ZoneOffset.UTC);
        if (occurredAt.isAfter(kafkaTime.plusSeconds(skewS))) {
            return "occurred_at: is more than " + skewS + " s in the future";
        }
        if (occurredAt.isBefore(kafkaTime.minusDays(horizonDays))) {
            return "occurred_at: is older than the correction horizon of " + horizonDays + " days";
        }
        row.setField(OCCURRED_AT, occurredAt);
        BigDecimal co2eKg = decimal(event.get("co2e_kg"));
        if (co2eKg == null) {
            return "co2e_kg: must be a finite number";
        }
        if (co2eKg.signum() < 0) {
            return "co2e_kg: must be >= 0";
        }
        if (co2eKg.compareTo(co2eKgMax) > 0) {
            return "co2e_kg: must be <= " + co2eKgMax.toPlainString() + " kg";
        }
        row.setField(CO2E_KG, co2eKg);
        JsonNode scope = event.get("scope");
        if (scope == null || !scope.isIntegralNumber() || !scope.canConvertToInt() || scope.intValue() < 1
                || scope.intValue() > 3) {
            return "scope: must be 1, 2 or 3";
        }
        row.setField(SCOPE, (short) scope.intValue());
        String slug = text(event, "category");
        if (slug == null || !category.matcher(slug).matches()) {
            return "category: must be a lowercase slug (a-z, 0-9, _), at most 64 characters";
        }
        row.setField(CATEGORY, slug);
        JsonNode source = event.get("source");
        if (source != null && !source.isNull()) {
            if (!source.isTextual() || chars(source.textValue()) > SOURCE_MAX_CHARS || hasNul(source.textValue())) {
                return "source: must be a string of at most " + SOURCE_MAX_CHARS + " characters, without U+0000";
            }
            row.setField(SOURCE, source.textValue());
        }
        JsonNode attributes = event.get("attributes");
        if (attributes != null && !attributes.isNull()) {
            if (!validAttributes(attributes)) {
                return "attributes: must be an object of at most " + ATTRIBUTES_MAX + " strings (keys 1-"
                        + ATTRIBUTE_KEY_MAX_CHARS + ", values at most " + ATTRIBUTE_VALUE_MAX_CHARS
                        + " characters, without U+0000)";
            }
            row.setField(ATTRIBUTES, attributes.toString());
        }
        return null;
    }

    /** The field's value when it is a JSON string, else null. */
    private static String text(JsonNode event, String field) {
        JsonNode node = event.get(field);
        return node != null && node.isTextual() ? node.textValue() : null;
    }

    /**
     * RFC 3339 with offset → UTC, truncated to milliseconds; null unless it names a real instant.
     * {@link #RFC3339} checks the shape, so the fields are read by position (java.time's formatter
     * was ~30 % of the contract's time); LocalDateTime and ZoneOffset refuse what does not exist
     * (February 30, hour 24, second 60, offsets beyond ±18:00), as the formatter did.
     */
    static LocalDateTime utcMillis(String text) {
        if (text == null || !RFC3339.matcher(text).matches()) {
            return null;
        }
        int offsetAt = 19;
        int nanos = 0;
        if (text.charAt(offsetAt) == '.') {  // 1-9 fraction digits, scaled to nanoseconds
            for (offsetAt = 20; text.charAt(offsetAt) >= '0' && text.charAt(offsetAt) <= '9'; offsetAt++) {
                nanos = nanos * 10 + (text.charAt(offsetAt) - '0');
            }
            for (int digits = offsetAt - 20; digits < 9; digits++) {
                nanos *= 10;
            }
        }
        try {
            ZoneOffset offset = ZoneOffset.UTC;
            if (text.charAt(offsetAt) != 'Z') {
                int sign = text.charAt(offsetAt) == '-' ? -1 : 1;
                offset = ZoneOffset.ofHoursMinutes(sign * number(text, offsetAt + 1, 2),
                        sign * number(text, offsetAt + 4, 2));
            }
            LocalDateTime local = LocalDateTime.of(number(text, 0, 4), number(text, 5, 2), number(text, 8, 2),
                    number(text, 11, 2), number(text, 14, 2), number(text, 17, 2), nanos);
            return local.minusSeconds(offset.getTotalSeconds()).truncatedTo(ChronoUnit.MILLIS);
        } catch (DateTimeException e) {
            return null;
        }
    }

    /** The decimal number written by {@code length} ASCII digits at {@code from}. */
    private static int number(String text, int from, int length) {
        int value = 0;
        for (int i = from; i < from + length; i++) {
            value = value * 10 + (text.charAt(i) - '0');
        }
        return value;
    }

    /**
     * A JSON number or numeric string, rounded half-even to 6 decimals; null if it is neither. A value
     * far outside NUMERIC(18,6) is returned unrounded (the range checks refuse it): rounding 1e999999999
     * or 1e-999999999 would build a billion-digit number.
     */
    private static BigDecimal decimal(JsonNode node) {
        BigDecimal value;
        if (node == null) {
            return null;
        } else if (node.isNumber()) {
            value = node.decimalValue();
        } else if (node.isTextual()) {
            try {
                value = new BigDecimal(node.textValue().strip());
            } catch (NumberFormatException e) {
                return null;
            }
        } else {
            return null;
        }
        int integerDigits = value.precision() - value.scale();
        if (integerDigits > 13) {
            return value;
        }
        if (integerDigits < -CO2E_KG_SCALE - 1) {  // below 5e-7 in magnitude: rounds to zero
            return BigDecimal.ZERO.setScale(CO2E_KG_SCALE);
        }
        return value.setScale(CO2E_KG_SCALE, RoundingMode.HALF_EVEN);
    }

    private static boolean validAttributes(JsonNode attributes) {
        if (!attributes.isObject() || attributes.size() > ATTRIBUTES_MAX) {
            return false;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = attributes.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            int keyChars = chars(entry.getKey());
            JsonNode value = entry.getValue();
            if (keyChars < 1 || keyChars > ATTRIBUTE_KEY_MAX_CHARS || !value.isTextual()
                    || chars(value.textValue()) > ATTRIBUTE_VALUE_MAX_CHARS || hasNul(entry.getKey())
                    || hasNul(value.textValue())) {
                return false;
            }
        }
        return true;
    }

    /** U+0000 anywhere: PostgreSQL text cannot store it. */
    private static boolean hasNul(String text) {
        return text.indexOf('\0') >= 0;
    }

    /** Length in Unicode code points (Python's len), not UTF-16 units. */
    private static int chars(String text) {
        return text.codePointCount(0, text.length());
    }
}
