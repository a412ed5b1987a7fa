package carbonstream.postgres;

import java.io.IOException;
import java.io.Serializable;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.table.data.RowData;
import org.apache.flink.types.RowKind;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * The apply side of {@link PostgresCopySinkFactory} ({@code sink.apply.function}): each flush COPYs
 * the rows, as they came, into the session's staging table {@code copy_stage} (shaped like the
 * table) and calls the function, in one transaction. The function decides what the rows do (e.g.
 * {@code emission_apply_staged()}: store the events not stored yet and add those to the rollups).
 *
 * <p>Exactly once rests on the function: it must skip what an earlier transaction already applied
 * (e.g. events whose {@code event_id} is stored), so a replay after a restore changes nothing twice.
 * The writer has no state and nothing to commit.
 *
 * <p>The rows are split into {@code sink.apply.connections} parts by the hash of the column
 * {@code sink.apply.partition-column}; each part is written on its own connection and thread, in
 * its own transaction, so a flush uses that many PostgreSQL backends at once while rows with the
 * same value in that column (e.g. one organisation's, and so its rollup rows) are only ever written
 * through one of them. A part's transaction stands alone: after a failure between two parts'
 * commits the replay applies the other part and skips the committed one.
 */
final class CopyApplySink implements Sink<RowData> {

    private static final long serialVersionUID = 1L;
    private static final int INITIAL_PART_CHARS = 1 << 16;

    /** How the writers connect, split, buffer and retry (the factory's options). */
    record Options(CopyWriting writing, String function, int connections, int partitionIndex)
            implements Serializable {
    }

    private final CopyTable table;
    private final Options options;

    CopyApplySink(CopyTable table, Options options) {
        this.table = table;
        this.options = options;
    }

    @Override
    public Writer createWriter(WriterInitContext context) {
        return new Writer(context);
    }

    /**
     * Buffers each part's rows as COPY text and hands a part's text to its {@link Flusher}, which
     * applies it while the task goes on buffering:
     * <ul>
     *   <li>when its flusher is idle and either the flush interval has passed since the part's last
     *   flush began or a quarter of the part's share of {@code maxRows} waits (a backlog: flushes back
     *   to back), checked every 256 rows and at each tick of the interval. A busy flusher is left
     *   alone, so under load a part's batches grow to what PostgreSQL applies per transaction (fewer
     *   rollup rows rewritten per event);</li>
     *   <li>when the part holds its share of {@code maxRows} rows, waiting for the flusher
     *   (backpressure);</li>
     *   <li>at each checkpoint and the end of input, which wait for every part: every row before a
     *   checkpoint has been applied when the checkpoint completes.</li>
     * </ul>
     */
    final class Writer implements SinkWriter<RowData> {

        private final ProcessingTimeService timers;
        private final Flusher[] flushers;
        private final StringBuilder[] parts;
        private final int[] rows;
        private final long[] lastFlushAt;
        private final int maxPartRows;
        private final String applySql;

        Writer(WriterInitContext context) {
            this.timers = context.getProcessingTimeService();
            int subtask = context.getTaskInfo().getIndexOfThisSubtask();
            this.flushers = new Flusher[options.connections()];
            this.parts = new StringBuilder[options.connections()];
            this.rows = new int[options.connections()];
            this.lastFlushAt = new long[options.connections()];
            this.maxPartRows = Math.max(1, options.writing().maxRows() / options.connections());
            for (int p = 0; p < parts.length; p++) {
                flushers[p] = new Flusher("postgres-copy " + table.name() + " " + subtask + "." + p, options.writing(),
                        List.of(table.createRowStageSql()));
                parts[p] = new StringBuilder(INITIAL_PART_CHARS);
            }
            this.applySql = "SELECT " + options.function() + "()";
            Flusher.every(timers, options.writing().intervalMs(), time -> {
                for (int p = 0; p < parts.length; p++) {
                    flushIfDue(p);
                }
            });
        }

        @Override
        public void write(RowData row, Context context) throws IOException, InterruptedException {
            if (row.getRowKind() != RowKind.INSERT) {
                throw new IOException("postgres-copy " + table.name() + ": an apply sink takes INSERT rows only, got "
                        + row.getRowKind() + " (its input must be append-only)");
            }
            int part = part(row);
            table.appendLine(parts[part], row);
            if (++rows[part] >= maxPartRows) {
                startFlush(part);
            } else if ((rows[part] & 255) == 0) {
                flushIfDue(part);
            }
        }

        @Override
        public void flush(boolean endOfInput) throws IOException, InterruptedException {
            for (int p = 0; p < parts.length; p++) {
                startFlush(p);
            }
            for (Flusher flusher : flushers) {
                flusher.await();
            }
        }

        @Override
        public void close() throws Exception {
            for (Flusher flusher : flushers) {
                flusher.close();
            }
        }

        /** The row's part: the hash of its partition column's value (null: part 0). */
        private int part(RowData row) {
            if (parts.length == 1 || row.isNullAt(options.partitionIndex())) {
                return 0;
            }
            Object value = table.field(row, options.partitionIndex());
            return Math.floorMod(value.hashCode(), parts.length);
        }

        /** Starts the part's flush if its flusher is idle and either the interval has passed or a backlog waits. */
        private void flushIfDue(int part) throws IOException, InterruptedException {
            if (!flushers[part].busy() && (rows[part] >= maxPartRows / 4
                    || timers.getCurrentProcessingTime() - lastFlushAt[part] >= options.writing().intervalMs())) {
                startFlush(part);
            }
        }

        /** Hands the part's rows, if any, to its flusher (after that flusher's previous write has finished). */
        private void startFlush(int part) throws IOException, InterruptedException {
            if (rows[part] == 0) {
                return;
            }
            StringBuilder full = parts[part];
            parts[part] = new StringBuilder(full.capacity());
            int count = rows[part];
            rows[part] = 0;
            lastFlushAt[part] = timers.getCurrentProcessingTime();
            flushers[part].submit(table.name() + ": applying " + count + " rows with " + options.function() + "()",
                    db -> apply(db, full));
        }

        private void apply(java.sql.Connection db, StringBuilder lines) throws SQLException {
            CopyIn copy = db.unwrap(PGConnection.class).getCopyAPI().copyIn(table.copySql());
            Flusher.send(copy, lines);
            copy.endCopy();
            try (Statement statement = db.createStatement()) {
                statement.execute(applySql);
            }
        }
    }
}
