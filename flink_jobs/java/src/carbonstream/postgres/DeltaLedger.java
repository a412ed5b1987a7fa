package carbonstream.postgres;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.apache.flink.api.connector.sink2.Committer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * Exactly-once for delta sinks: table {@code copy_sink_ledger} (sql/005_copy_sink_ledger.sql) holds
 * each flush's delta rows, written in the flush's own transaction and numbered per (table, subtask).
 * The writer's checkpointed state is the number of its last flush. A writer restored from a
 * checkpoint first takes back (subtracts) the flushes numbered after it, because the job replays
 * their input; a writer started without state takes back every flush left in the ledger, because the
 * job then reads from the offsets Kafka committed at the last completed checkpoint. When a checkpoint
 * completes, the {@link Pruner} deletes the flushes it covers but the last, which it empties: that
 * mark makes a writer restored from an older checkpoint or savepoint refuse to start (the flushes
 * in between can no longer be taken back).
 */
final class DeltaLedger {

    private static final String TABLE = "copy_sink_ledger";
    private static final Logger LOG = LoggerFactory.getLogger(DeltaLedger.class);

    private DeltaLedger() {
    }

    /** The flushes of (table, subtask) up to {@code flushSeq} are covered by a completed checkpoint. */
    record FlushedUpTo(String table, int subtask, long flushSeq) {
    }

    static void record(Connection db, String table, int subtask, long flushSeq, String lines) throws SQLException {
        try (PreparedStatement insert = db.prepareStatement("INSERT INTO " + TABLE
                + " (table_name, subtask, flush_seq, delta_lines) VALUES (?, ?, ?, ?)")) {
            insert.setString(1, table);
            insert.setInt(2, subtask);
            insert.setLong(3, flushSeq);
            insert.setString(4, lines);
            insert.executeUpdate();
        }
    }

    /**
     * Takes back the flushes of (table, subtask) numbered after {@code afterSeq} (all of them when
     * null) and deletes them from the ledger, in the caller's transaction; returns the number the
     * next flush follows ({@code afterSeq}, or 0: no flush is kept after it).
     *
     * <p>A writer restored from a checkpoint or savepoint older than the last completed checkpoint
     * (e.g. resuming an old savepoint) finds that checkpoint's mark among the flushes after its own:
     * the flushes in between were pruned and cannot be taken back, so its replay would count their
     * events twice. Refused, pointing to {@code make rebuild}.
     */
    static long revertAfter(Connection db, CopyTable table, DeltaBuffer.Role[] roles, int subtask, Long afterSeq)
            throws SQLException {
        long after = afterSeq == null ? Long.MIN_VALUE : afterSeq;
        List<String> flushes = new ArrayList<>();
        Long coveredLater = null;  // the newest mark after afterSeq
        try (PreparedStatement select = db.prepareStatement("SELECT flush_seq, delta_lines FROM " + TABLE
                + " WHERE table_name = ? AND subtask = ? AND flush_seq > ? ORDER BY flush_seq")) {
            select.setString(1, table.name());
            select.setInt(2, subtask);
            select.setLong(3, after);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    String lines = rows.getString(2);
                    if (lines.isEmpty()) {
                        coveredLater = rows.getLong(1);  // the mark a completed checkpoint left
                    } else {
                        flushes.add(lines);
                    }
                }
            }
        }
        if (afterSeq != null && coveredLater != null) {
            throw new IllegalStateException("postgres-copy " + table.name() + ": this job resumes from flush "
                    + afterSeq + ", but a later checkpoint already covered flush " + coveredLater
                    + " (an older savepoint?): its rows cannot be taken back. Rebuild the tables instead "
                    + "(make rebuild).");
        }
        if (!flushes.isEmpty()) {
            LOG.info("postgres-copy {} subtask {}: taking back {} flushes after flush {} (their events are replayed)",
                    table.name(), subtask, flushes.size(), afterSeq == null ? "none (no state)" : afterSeq);
        }
        for (String lines : flushes) {
            CopyUpsertSink.copyText(db, table.copySql(), lines);
            try (Statement statement = db.createStatement()) {
                for (String sql : table.revertSql(roles)) {
                    statement.executeUpdate(sql);
                }
                statement.executeUpdate("TRUNCATE " + CopyTable.STAGE);
            }
        }
        try (PreparedStatement delete = db.prepareStatement("DELETE FROM " + TABLE
                + " WHERE table_name = ? AND subtask = ? AND flush_seq > ?")) {
            delete.setString(1, table.name());
            delete.setInt(2, subtask);
            delete.setLong(3, after);
            delete.executeUpdate();
        }
        return afterSeq == null ? 0 : afterSeq;
    }

    /**
     * Deletes the flushes a completed checkpoint covers (the committer of delta sinks), keeping the
     * last one as an empty mark: a writer restored from an older state finds it and refuses.
     */
    static final class Pruner implements Committer<FlushedUpTo> {

        private final CopyUpsertSink.Connection connection;
        private Connection db;

        Pruner(CopyUpsertSink.Connection connection) {
            this.connection = connection;
        }

        @Override
        public void commit(Collection<CommitRequest<FlushedUpTo>> requests) {
            for (CommitRequest<FlushedUpTo> request : requests) {
                FlushedUpTo done = request.getCommittable();
                try {
                    if (db == null) {
                        db = connection.open();
                    }
                    try (PreparedStatement delete = db.prepareStatement("DELETE FROM " + TABLE
                            + " WHERE table_name = ? AND subtask = ? AND flush_seq < ?");
                         PreparedStatement mark = db.prepareStatement("UPDATE " + TABLE
                            + " SET delta_lines = '' WHERE table_name = ? AND subtask = ? AND flush_seq = ?")) {
                        for (PreparedStatement statement : List.of(delete, mark)) {
                            statement.setString(1, done.table());
                            statement.setInt(2, done.subtask());
                            statement.setLong(3, done.flushSeq());
                            statement.executeUpdate();
                        }
                    }
                } catch (SQLException e) {
                    close();
                    request.retryLater();  // an unpruned flush costs only ledger space
                }
            }
        }

        @Override
        public void close() {
            CopyUpsertSink.Connection.close(db);
            db = null;
        }
    }

    /** Writer state (the last flush's number) and committables, as bytes. */
    static final class FlushedUpToSerializer implements SimpleVersionedSerializer<FlushedUpTo> {
        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(FlushedUpTo done) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeUTF(done.table());
                out.writeInt(done.subtask());
                out.writeLong(done.flushSeq());
            }
            return bytes.toByteArray();
        }

        @Override
        public FlushedUpTo deserialize(int version, byte[] serialized) throws IOException {
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
                return new FlushedUpTo(in.readUTF(), in.readInt(), in.readLong());
            }
        }
    }
}
