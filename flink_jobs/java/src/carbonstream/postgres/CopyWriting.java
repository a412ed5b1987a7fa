package carbonstream.postgres;

import java.io.Serializable;
import java.sql.SQLException;
import java.util.Properties;

import org.postgresql.Driver;

/**
 * How a {@code postgres-copy} writer of either mode ({@link CopyUpsertSink}, {@link CopyApplySink})
 * connects, buffers and retries, the factory's common options, taken by each writer's {@link Flusher}:
 * flush every {@code intervalMs} and at {@code maxRows} buffered rows, a failed write retried
 * {@code maxRetries} times.
 */
record CopyWriting(CopyWriting.Connection connection, int maxRows, long intervalMs, int maxRetries)
        implements Serializable {

    /** Where to connect (through PostgreSQL's driver directly: DriverManager misses drivers in the job's class loader). */
    record Connection(String url, String username, String password) implements Serializable {
        java.sql.Connection open() throws SQLException {
            Properties properties = new Properties();
            properties.setProperty("user", username);
            properties.setProperty("password", password);
            java.sql.Connection db = new Driver().connect(url, properties);
            if (db == null) {
                throw new SQLException("postgres-copy: not a PostgreSQL JDBC URL: " + url);
            }
            return db;
        }

        /** Closes {@code db} if open; a failure is ignored: the connection is being replaced or the job is closing. */
        static void close(java.sql.Connection db) {
            if (db != null) {
                try {
                    db.close();
                } catch (SQLException ignored) {
                    // nothing to save
                }
            }
        }
    }
}
