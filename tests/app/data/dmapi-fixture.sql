-- The user's existing DMAPI tables, reduced to the columns the seed's queries use (../shared/seed),
-- plus the storage key each file lives under in the bucket. BucketScope never creates or alters
-- these; tests create them to check --dmapi and the combined views against the seed's own queries.
CREATE TABLE media_files (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    original_filename VARCHAR(255) NOT NULL,
    mime_type VARCHAR(100),
    size_bytes BIGINT,
    storage_key VARCHAR(700) NOT NULL,
    created_at DATETIME,
    KEY media_files_storage_key (storage_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE media_analytics (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    media_file_id BIGINT NULL,
    user_id VARCHAR(64) NULL,
    application_id VARCHAR(64),
    ip_address VARCHAR(45),
    `timestamp` DATETIME NOT NULL,
    metadata JSON,
    KEY media_analytics_time (`timestamp`),
    KEY media_analytics_file (media_file_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
