package carbonstream.postgres;

import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.sink.DynamicTableSink;
import org.apache.flink.table.connector.sink.SinkV2Provider;

/**
 * The table side of {@link PostgresCopySinkFactory}: an upsert sink takes the upsert changelog (INSERT
 * and UPDATE_AFTER write the row, DELETE removes the row with its key), an apply sink insert-only rows.
 */
final class PostgresCopySink implements DynamicTableSink {

    private final CopyTable table;
    private final ChangelogMode mode;
    private final SinkV2Provider provider;

    PostgresCopySink(CopyTable table, ChangelogMode mode, SinkV2Provider provider) {
        this.table = table;
        this.mode = mode;
        this.provider = provider;
    }

    @Override
    public ChangelogMode getChangelogMode(ChangelogMode requestedMode) {
        return mode;
    }

    @Override
    public SinkRuntimeProvider getSinkRuntimeProvider(Context context) {
        return provider;
    }

    @Override
    public DynamicTableSink copy() {
        return new PostgresCopySink(table, mode, provider);
    }

    @Override
    public String asSummaryString() {
        return "postgres-copy(" + table.name() + ")";
    }
}
