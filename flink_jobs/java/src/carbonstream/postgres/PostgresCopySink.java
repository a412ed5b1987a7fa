package carbonstream.postgres;

import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.sink.DynamicTableSink;
import org.apache.flink.table.connector.sink.SinkV2Provider;

/** The table side of {@link PostgresCopySinkFactory}. */
final class PostgresCopySink implements DynamicTableSink {

    private final CopyTable table;
    private final CopyUpsertSink.Options options;

    PostgresCopySink(CopyTable table, CopyUpsertSink.Options options) {
        this.table = table;
        this.options = options;
    }

    /**
     * Upserts: INSERT and UPDATE_AFTER write the row, DELETE removes the row with its key. A delta sink
     * accepts the same changelog for the planner's sake (after an OVER aggregate it cannot prove that a
     * keep-first deduplication is append-only) but adds INSERT rows only: any other change fails the job.
     */
    @Override
    public ChangelogMode getChangelogMode(ChangelogMode requestedMode) {
        return ChangelogMode.upsert();
    }

    @Override
    public SinkRuntimeProvider getSinkRuntimeProvider(Context context) {
        return SinkV2Provider.of(new CopyUpsertSink(table, options));
    }

    @Override
    public DynamicTableSink copy() {
        return new PostgresCopySink(table, options);
    }

    @Override
    public String asSummaryString() {
        return "postgres-copy(" + table.name() + ")";
    }
}
