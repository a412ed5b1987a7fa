package carbonstream.postgres;

import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.sink.DynamicTableSink;
import org.apache.flink.table.connector.sink.SinkV2Provider;

/** The table side of {@link PostgresCopySinkFactory}. */
final class PostgresCopySink implements DynamicTableSink {

    private final CopyTable table;
    private final CopyUpsertSink.Connection connection;
    private final int maxRows;
    private final long intervalMs;
    private final int maxRetries;

    PostgresCopySink(CopyTable table, CopyUpsertSink.Connection connection, int maxRows, long intervalMs,
            int maxRetries) {
        this.table = table;
        this.connection = connection;
        this.maxRows = maxRows;
        this.intervalMs = intervalMs;
        this.maxRetries = maxRetries;
    }

    /** Upserts: INSERT and UPDATE_AFTER write the row, DELETE removes the row with its key. */
    @Override
    public ChangelogMode getChangelogMode(ChangelogMode requestedMode) {
        return ChangelogMode.upsert();
    }

    @Override
    public SinkRuntimeProvider getSinkRuntimeProvider(Context context) {
        return SinkV2Provider.of(new CopyUpsertSink(table, connection, maxRows, intervalMs, maxRetries));
    }

    @Override
    public DynamicTableSink copy() {
        return new PostgresCopySink(table, connection, maxRows, intervalMs, maxRetries);
    }

    @Override
    public String asSummaryString() {
        return "postgres-copy(" + table.name() + ")";
    }
}
