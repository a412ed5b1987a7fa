package carbonstream.udf;

import java.time.Instant;

import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.functions.TableFunction;
import org.apache.flink.types.Row;

/**
 * {@code LATERAL TABLE(parse_emission(payload, kafka_timestamp, horizon_days, max_future_skew_s,
 * co2e_kg_max, uuid_pattern, org_id_pattern, category_pattern))}: one row per record, see
 * {@link EmissionContract}. A table function, so the record is parsed once however many of the
 * row's fields the query reads (a scalar function returning a ROW is re-evaluated per field).
 */
@FunctionHint(output = @DataTypeHint(EmissionContract.RESULT_TYPE))
public class ParseEmission extends TableFunction<Row> {

    private static final long serialVersionUID = 1L;
    private transient EmissionContract contract;

    public void eval(String payload, Instant kafkaTimestamp, Integer horizonDays, Integer maxFutureSkewS,
            String co2eKgMax, String uuidPattern, String orgIdPattern, String categoryPattern) {
        contract = EmissionContract.of(contract, co2eKgMax, uuidPattern, orgIdPattern, categoryPattern);
        collect(contract.parse(payload, kafkaTimestamp, horizonDays, maxFutureSkewS));
    }
}
