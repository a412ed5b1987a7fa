package carbonstream.udf;

import java.time.Instant;
import java.time.LocalDateTime;

import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code emission_event_time(payload, kafka_timestamp, ...same arguments as parse_emission)}: the
 * record's event time for the source's watermark, {@link EmissionContract}'s {@code event_time}
 * (occurred_at of an accepted record, else the Kafka timestamp).
 */
public class EmissionEventTime extends ScalarFunction {

    private static final long serialVersionUID = 1L;
    private transient EmissionContract contract;

    public @DataTypeHint("TIMESTAMP(3)") LocalDateTime eval(String payload, Instant kafkaTimestamp,
            Integer horizonDays, Integer maxFutureSkewS, String co2eKgMax, String uuidPattern,
            String orgIdPattern, String categoryPattern) {
        contract = EmissionContract.of(contract, co2eKgMax, uuidPattern, orgIdPattern, categoryPattern);
        return (LocalDateTime) contract.parse(payload, kafkaTimestamp, horizonDays, maxFutureSkewS)
                .getField(EmissionContract.EVENT_TIME);
    }
}
