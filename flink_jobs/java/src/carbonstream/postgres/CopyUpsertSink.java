package carbonstream.postgres;

import java.io.IOException;
import java.io.Serializable;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.table.data.RowData;
import org.apache.flink.types.RowKind;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * The upsert side of {@link PostgresCopySinkFactory}: one writer (and one connection) per subtask;
 * no writer state, nothing to commit (a replay rewrites the same rows).
 */
final class CopyUpsertSink implements Sink<RowData> {

    private static final long serialVersionUID = 1L;

    /** An upsert sink's options: the common ones, and whether INSERT rows are COPYed straight in first. */
    record Options(CopyWriting writing, boolean insertFirst) implements Serializable {
    }

    private static final String UNIQUE_VIOLATION = "23505";

    private final CopyTable table;
    private final Options options;

    CopyUpsertSink(CopyTable table, Options options) {
        this.table = table;
        this.options = options;
    }

    @Override
    public Writer createWriter(WriterInitContext context) {
        return new Writer(context);
    }

    /**
     * Buffers the newest change per key (a COPY line, or {@link #DELETED}). A flush (periodic timer,
     * full buffer, checkpoint, end of input) hands the buffer to the writer's {@link Flusher}, which
     * writes it in one transaction while the task goes on filling a new buffer; a checkpoint or the
     * end of input waits for it, so every change before a checkpoint is in PostgreSQL when the
     * checkpoint completes. A flush writes deleted keys and rows COPYed into the staging tables, then
     * one DELETE and one upsert. With {@code insertFirst}, INSERT rows are kept as a plain list while
     * no other change arrives (an append-only table's flush needs no key) and COPYed straight into
     * the table; a flush that meets an existing key is keyed after all and written as the upsert.
     */
    final class Writer implements SinkWriter<RowData> {

        private static final int CHUNK_BYTES = 1 << 16;
        private static final String DELETED = "";  // a deleted key; a line is never empty (it ends with a newline)

        private final ProcessingTimeService timers;
        private final Flusher flusher;
        private Buffer buffer = new Buffer(16);

        Writer(WriterInitContext context) {
            this.timers = context.getProcessingTimeService();
            this.flusher = new Flusher("postgres-copy " + table.name(), options.writing(), table.createStageSql());
            Flusher.every(timers, options.writing().intervalMs(), time -> startFlush());
        }

        @Override
        public void write(RowData row, Context context) throws IOException, InterruptedException {
            buffer.add(row);  // formatted now: the row object may be reused
            if (buffer.size() >= options.writing().maxRows()) {
                startFlush();
            }
        }

        @Override
        public void flush(boolean endOfInput) throws IOException, InterruptedException {
            startFlush();
            flusher.await();
        }

        @Override
        public void close() throws Exception {
            flusher.close();
        }

        /** Hands the buffer to the flusher thread (after the previous flush has finished). */
        private void startFlush() throws IOException, InterruptedException {
            if (buffer.size() == 0) {
                return;
            }
            Buffer full = buffer;
            buffer = new Buffer(full.size());  // sized like the last one: no rehashing while it fills
            flusher.submit(table.name() + ": writing " + full.size() + " rows", db -> writeBuffer(db, full));
        }

        private void writeBuffer(java.sql.Connection db, Buffer full) throws SQLException {
            if (!full.insertedLines.isEmpty()) {  // insertFirst, and only INSERTs in this buffer
                if (insertedAll(db, full.insertedLines)) {
                    return;
                }
                full.keyInsertedLines();
            }
            StringBuilder deletedKeys = new StringBuilder();
            boolean upserts = copyLines(db, full.linesByKey, deletedKeys);
            boolean deletes = deletedKeys.length() > 0;
            if (deletes) {
                CopyIn copy = db.unwrap(PGConnection.class).getCopyAPI().copyIn(table.copyDeletedSql());
                Flusher.send(copy, deletedKeys);
                copy.endCopy();
            }
            try (Statement statement = db.createStatement()) {
                if (deletes) {
                    statement.executeUpdate(table.deleteSql());
                }
                if (upserts) {
                    statement.executeUpdate(table.upsertSql());
                }
            }
        }

        /** COPY the INSERT lines straight into the table; false (rolled back) if a key already existed. */
        private boolean insertedAll(java.sql.Connection db, List<String> lines) throws SQLException {
            CopyIn copy = db.unwrap(PGConnection.class).getCopyAPI().copyIn(table.copyIntoTableSql());
            StringBuilder chunk = new StringBuilder(CHUNK_BYTES + 1024);
            try {
                for (String line : lines) {
                    chunk.append(line);
                    if (chunk.length() >= CHUNK_BYTES) {
                        Flusher.send(copy, chunk);
                    }
                }
                Flusher.send(copy, chunk);
                copy.endCopy();
            } catch (SQLException e) {
                if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
                    throw e;
                }
                if (copy.isActive()) {
                    copy.cancelCopy();
                }
                db.rollback();
                return false;
            }
            return true;
        }

        /**
         * One pass over the keyed lines: the rows COPYed into the staging table in chunks, the keys of
         * deleted rows collected as COPY lines into {@code deletedKeys}; false if no row was COPYed.
         * (On an error the caller drops the connection, which ends an unfinished COPY.)
         */
        private boolean copyLines(java.sql.Connection db, Map<String, String> linesByKey, StringBuilder deletedKeys)
                throws SQLException {
            CopyIn copy = null;
            StringBuilder chunk = new StringBuilder(CHUNK_BYTES + 1024);
            for (Map.Entry<String, String> entry : linesByKey.entrySet()) {
                if (entry.getValue().isEmpty()) {
                    deletedKeys.append(entry.getKey()).append('\n');
                    continue;
                }
                if (copy == null) {
                    copy = db.unwrap(PGConnection.class).getCopyAPI().copyIn(table.copySql());
                }
                chunk.append(entry.getValue());
                if (chunk.length() >= CHUNK_BYTES) {
                    Flusher.send(copy, chunk);
                }
            }
            if (copy == null) {
                return false;
            }
            Flusher.send(copy, chunk);
            copy.endCopy();
            return true;
        }

        /** The changes since the last flush: newest line per key, or (insertFirst) INSERT lines not yet keyed. */
        private final class Buffer {

            private final Map<String, String> linesByKey;
            private final List<String> insertedLines;

            Buffer(int expectedRows) {
                boolean listed = options.insertFirst();
                linesByKey = new HashMap<>(listed ? 16 : Math.max(16, expectedRows * 4 / 3 + 1));
                insertedLines = new ArrayList<>(listed ? Math.max(16, expectedRows) : 0);
            }

            void add(RowData row) {
                if (options.insertFirst() && row.getRowKind() == RowKind.INSERT && linesByKey.isEmpty()) {
                    insertedLines.add(table.line(row));
                    return;
                }
                keyInsertedLines();
                if (row.getRowKind() == RowKind.DELETE) {
                    linesByKey.put(table.key(row), DELETED);
                } else {
                    String line = table.line(row);
                    linesByKey.put(table.key(line), line);
                }
            }

            int size() {
                return linesByKey.size() + insertedLines.size();
            }

            /** The plain list of INSERT lines into the keyed map, in arrival order (a later line for a key wins). */
            void keyInsertedLines() {
                for (String line : insertedLines) {
                    linesByKey.put(table.key(line), line);
                }
                insertedLines.clear();
            }
        }
    }
}
