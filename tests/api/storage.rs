//! The embedded S3 store on its own, over HTTP through `aws-sdk-s3`: each test starts a store on
//! a fresh directory and talks to it as `ipscopy::storage::Storage` does, or with a raw client
//! for what `Storage` does not expose (ranges, HEAD, DELETE, listing pages).

use std::path::{Path, PathBuf};

use aws_sdk_s3::{
    Client,
    config::{BehaviorVersion, Credentials, Region},
    error::ProvideErrorMetadata,
    primitives::ByteStream,
};
use ipscopy::{
    config::S3Settings,
    storage::{EmbeddedStore, Storage, StorageError},
};
use s3s::crypto::{Checksum as _, Md5};
use tokio_util::sync::{CancellationToken, DropGuard};

const BUCKET: &str = "ipscopy-test";
const ACCESS_KEY: &str = "test-key";
const SECRET_KEY: &str = "test-secret";
const TEMP_PREFIX: &str = ".ipscopy-part-";

/// A running store with its bucket made; it stops and its files go when this drops.
struct Store {
    storage: Storage,
    client: Client,
    /// The store's root, inside `dir` so that anything escaping it would show in `dir`.
    root: PathBuf,
    dir: tempfile::TempDir,
    _stop: DropGuard,
}

async fn start_store() -> Store {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("root");
    let shutdown = CancellationToken::new();
    let store = EmbeddedStore::start(&root, ACCESS_KEY, SECRET_KEY, shutdown.clone())
        .await
        .expect("the store starts");
    let settings = S3Settings {
        s3_endpoint: None,
        s3_bucket: BUCKET.into(),
        aws_access_key_id: ACCESS_KEY.into(),
        aws_secret_access_key: SECRET_KEY.into(),
        aws_region: "us-east-1".into(),
        data_dir: root.clone(),
    };
    let storage = Storage::connect(&settings, &store.endpoint());
    storage.ensure_bucket().await.expect("the bucket is made");
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(store.endpoint())
        .force_path_style(true)
        .credentials_provider(Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test"))
        .build();
    Store { storage, client: Client::from_conf(config), root, dir, _stop: shutdown.drop_guard() }
}

/// Bytes that differ with `seed`, so a mix-up between objects shows.
fn pattern(seed: u64, len: usize) -> Vec<u8> {
    (0..len as u64).map(|i| (i.wrapping_mul(31) ^ seed.wrapping_mul(7919)) as u8).collect()
}

fn md5_hex(bytes: &[u8]) -> String {
    Md5::checksum(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Every file under `dir`, as paths relative to it.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).expect("readable directory") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path.strip_prefix(dir).expect("below dir").to_path_buf());
            }
        }
    }
    files
}

fn temp_files_under(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(TEMP_PREFIX)))
        .collect()
}

async fn list_page(
    store: &Store,
    prefix: &str,
    max_keys: i32,
    token: Option<String>,
) -> (Vec<String>, bool, Option<String>) {
    let page = store
        .client
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix(prefix)
        .max_keys(max_keys)
        .set_continuation_token(token)
        .send()
        .await
        .expect("a listing");
    let keys: Vec<String> = page.contents().iter().filter_map(|o| o.key().map(str::to_string)).collect();
    assert_eq!(page.key_count(), Some(keys.len() as i32));
    (keys, page.is_truncated().unwrap_or(false), page.next_continuation_token().map(str::to_string))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_object_comes_back_with_its_bytes_content_type_and_md5_etag() {
    let store = start_store().await;
    let bytes = pattern(1, 70_000);

    store.storage.put("companies/1/assets/2", bytes.clone(), "image/png").await.expect("put");

    assert_eq!(store.storage.get("companies/1/assets/2").await.expect("get"), bytes);
    let got = store.client.get_object().bucket(BUCKET).key("companies/1/assets/2").send().await.expect("get");
    let etag = format!("\"{}\"", md5_hex(&bytes));
    assert_eq!(got.content_type(), Some("image/png"));
    assert_eq!(got.e_tag(), Some(etag.as_str()));
    assert_eq!(got.content_length(), Some(bytes.len() as i64));
    assert!(got.last_modified().is_some());
    let head =
        store.client.head_object().bucket(BUCKET).key("companies/1/assets/2").send().await.expect("head");
    assert_eq!(head.e_tag(), Some(etag.as_str()));
    assert_eq!(head.content_type(), Some("image/png"));
    assert_eq!(head.content_length(), Some(bytes.len() as i64));
    // The object is the plain file at root/bucket/key, with no sidecar anywhere.
    assert_eq!(files_under(&store.root), [PathBuf::from(BUCKET).join("companies/1/assets/2")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_key_is_not_found() {
    let store = start_store().await;

    let err = store.storage.get("companies/1/assets/404").await.expect_err("nothing stored there");

    assert!(matches!(err, StorageError::NotFound(_)), "{err:?}");
    let head = store.client.head_object().bucket(BUCKET).key("nothing").send().await.expect_err("missing");
    assert_eq!(head.raw_response().map(|r| r.status().as_u16()), Some(404));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_put_replaces_the_object() {
    let store = start_store().await;
    store.storage.put("k", pattern(1, 5_000), "image/png").await.expect("first put");

    store.storage.put("k", b"short".to_vec(), "image/jpeg").await.expect("second put");

    assert_eq!(store.storage.get("k").await.expect("get"), &b"short"[..]);
    let got = store.client.get_object().bucket(BUCKET).key("k").send().await.expect("get");
    assert_eq!(got.content_type(), Some("image/jpeg"));
    assert_eq!(got.e_tag(), Some(format!("\"{}\"", md5_hex(b"short")).as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ranged_get_returns_only_the_requested_bytes() {
    let store = start_store().await;
    let bytes = pattern(2, 1_000);
    store.storage.put("ranged", bytes.clone(), "image/png").await.expect("put");

    let got = store
        .client
        .get_object()
        .bucket(BUCKET)
        .key("ranged")
        .range("bytes=100-199")
        .send()
        .await
        .expect("get");
    assert_eq!(got.content_range(), Some("bytes 100-199/1000"));
    assert_eq!(got.content_length(), Some(100));
    assert_eq!(got.e_tag(), Some(format!("\"{}\"", md5_hex(&bytes)).as_str()));
    assert_eq!(got.body.collect().await.expect("body").into_bytes(), &bytes[100..200]);

    let tail =
        store.client.get_object().bucket(BUCKET).key("ranged").range("bytes=-10").send().await.expect("get");
    assert_eq!(tail.content_range(), Some("bytes 990-999/1000"));
    assert_eq!(tail.body.collect().await.expect("body").into_bytes(), &bytes[990..]);

    let past_end = store
        .client
        .get_object()
        .bucket(BUCKET)
        .key("ranged")
        .range("bytes=1000-")
        .send()
        .await
        .expect_err("416");
    assert_eq!(past_end.code(), Some("InvalidRange"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_upload_with_its_checksum_in_a_trailer_is_stored_intact() {
    let store = start_store().await;
    let path = store.dir.path().join("upload.bin");
    let bytes = pattern(9, 300_000);
    std::fs::write(&path, &bytes).expect("upload file written");
    // A body read from a file goes out aws-chunked, its CRC32 in a trailer after the last chunk.
    let body = ByteStream::from_path(&path).await.expect("upload file opened");

    let put = store.client.put_object().bucket(BUCKET).key("streamed").body(body).send().await.expect("put");

    assert_eq!(put.e_tag(), Some(format!("\"{}\"", md5_hex(&bytes)).as_str()));
    assert!(put.checksum_crc32().is_some(), "the verified checksum is echoed");
    assert!(store.storage.get("streamed").await.expect("get") == bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_larger_than_what_is_read_whole_streams_back_intact() {
    let store = start_store().await;
    let bytes = pattern(3, 20 << 20);
    store.storage.put("big", bytes.clone(), "image/tiff").await.expect("put");

    assert!(store.storage.get("big").await.expect("get") == bytes);
    let got = store
        .client
        .get_object()
        .bucket(BUCKET)
        .key("big")
        .range("bytes=17000000-17000099")
        .send()
        .await
        .expect("get");
    assert_eq!(got.body.collect().await.expect("body").into_bytes(), &bytes[17_000_000..17_000_100]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prefix_listing_is_in_byte_order_and_pages_two_keys_at_a_time() {
    let store = start_store().await;
    // '-' sorts before '/' and '0' after it, so the directory p/b must list between p/b-c and p/b0.
    for key in ["p/c", "p/b0", "p/b/d", "p/a", "p/b-c", "q/x", "p-other", "o"] {
        store.storage.put(key, key.as_bytes().to_vec(), "text/plain").await.expect("put");
    }
    let expected: Vec<String> = ["p/a", "p/b-c", "p/b/d", "p/b0", "p/c"].map(String::from).into();

    let (first, truncated, token) = list_page(&store, "p/", 2, None).await;
    assert_eq!((first.as_slice(), truncated), (&expected[..2], true));
    let (second, truncated, token) = list_page(&store, "p/", 2, token).await;
    assert_eq!((second.as_slice(), truncated), (&expected[2..4], true));
    let (third, truncated, token) = list_page(&store, "p/", 2, token).await;
    assert_eq!((third.as_slice(), truncated, token), (&expected[4..], false, None));

    assert_eq!(store.storage.list_keys("p/").await.expect("list"), expected);
    assert_eq!(store.storage.list_keys("p").await.expect("list").len(), 6);
    assert_eq!(store.storage.list_keys("p/b").await.expect("list"), ["p/b-c", "p/b/d", "p/b0"]);
    assert!(store.storage.list_keys("nothing/").await.expect("list").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delimiter_rolls_nested_keys_into_common_prefixes() {
    let store = start_store().await;
    for key in ["top", "a/1", "a/2", "a/b/3", "b/1", "c"] {
        store.storage.put(key, vec![1], "text/plain").await.expect("put");
    }

    let page = store.client.list_objects_v2().bucket(BUCKET).delimiter("/").send().await.expect("list");
    let keys: Vec<_> = page.contents().iter().filter_map(|o| o.key()).collect();
    let prefixes: Vec<_> = page.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!((keys, prefixes), (vec!["c", "top"], vec!["a/", "b/"]));

    let page =
        store.client.list_objects_v2().bucket(BUCKET).prefix("a/").delimiter("/").max_keys(2).send().await;
    let page = page.expect("list");
    let keys: Vec<_> = page.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["a/1", "a/2"]);
    assert_eq!(page.is_truncated(), Some(true));
    let next = store
        .client
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix("a/")
        .delimiter("/")
        .max_keys(2)
        .set_continuation_token(page.next_continuation_token().map(str::to_string))
        .send()
        .await
        .expect("list");
    let prefixes: Vec<_> = next.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!((next.contents().len(), prefixes, next.is_truncated()), (0, vec!["a/b/"], Some(false)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_object_is_not_found_and_deleting_it_again_succeeds() {
    let store = start_store().await;
    store.storage.put("x/y/z", vec![1, 2, 3], "image/png").await.expect("put");

    store.client.delete_object().bucket(BUCKET).key("x/y/z").send().await.expect("delete");

    assert!(matches!(store.storage.get("x/y/z").await, Err(StorageError::NotFound(_))));
    store.client.delete_object().bucket(BUCKET).key("x/y/z").send().await.expect("deleting again");
    // The emptied directories went with it, so `x` can now be an object itself.
    store.storage.put("x", vec![4], "image/png").await.expect("put where a directory was");
    assert_eq!(store.storage.list_keys("").await.expect("list"), ["x"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_that_climbs_out_of_the_bucket_is_refused_and_nothing_is_written_outside_the_root() {
    let store = start_store().await;

    for key in ["../escape", "a/../../escape", "a/../../../escape", "./escape", "a//b", ".ipscopy-part-x"] {
        let err = store
            .client
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .body(ByteStream::from_static(b"payload"))
            .send()
            .await
            .expect_err(key);
        assert_eq!(err.code(), Some("InvalidArgument"), "{key}: {err:?}");
        let err = store.client.get_object().bucket(BUCKET).key(key).send().await.expect_err(key);
        assert_eq!(err.code(), Some("InvalidArgument"), "{key}: {err:?}");
    }

    assert_eq!(files_under(store.dir.path()), Vec::<PathBuf>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_bucket_answers_no_such_bucket() {
    let store = start_store().await;
    let other = "no-such-bucket";

    let get = store.client.get_object().bucket(other).key("k").send().await.expect_err("no bucket");
    let put =
        store.client.put_object().bucket(other).key("k").body(ByteStream::from_static(b"x")).send().await;
    let list = store.client.list_objects_v2().bucket(other).send().await.expect_err("no bucket");
    let delete = store.client.delete_object().bucket(other).key("k").send().await.expect_err("no bucket");
    let head = store.client.head_bucket().bucket(other).send().await.expect_err("no bucket");

    assert_eq!(get.code(), Some("NoSuchBucket"));
    assert_eq!(put.expect_err("no bucket").code(), Some("NoSuchBucket"));
    assert_eq!(list.code(), Some("NoSuchBucket"));
    assert_eq!(delete.code(), Some("NoSuchBucket"));
    assert_eq!(head.raw_response().map(|r| r.status().as_u16()), Some(404));
    assert!(!store.root.join(other).exists());
    let buckets = store.client.list_buckets().send().await.expect("list buckets");
    assert_eq!(buckets.buckets().iter().filter_map(|b| b.name()).collect::<Vec<_>>(), [BUCKET]);
    let again = store.client.create_bucket().bucket(BUCKET).send().await.expect_err("exists");
    assert_eq!(again.code(), Some("BucketAlreadyOwnedByYou"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_does_not_match_its_content_md5_is_refused_as_a_bad_digest() {
    let store = start_store().await;

    let err = store
        .client
        .put_object()
        .bucket(BUCKET)
        .key("k")
        .content_md5("XUFAKrxLKna5cZ2REBfFkg==") // MD5 of "hello"
        .body(ByteStream::from_static(b"hellO"))
        .send()
        .await
        .expect_err("wrong digest");

    assert_eq!(err.code(), Some("BadDigest"));
    assert!(matches!(store.storage.get("k").await, Err(StorageError::NotFound(_))));
    assert_eq!(temp_files_under(&store.root), Vec::<PathBuf>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_puts_and_gets_of_different_keys_all_round_trip() {
    let store = start_store().await;

    let tasks: Vec<_> = (0..64_u64)
        .map(|i| {
            let storage = store.storage.clone();
            tokio::spawn(async move {
                let key = format!("companies/{}/assets/{i}", i % 4);
                let bytes = pattern(i, 1_000 + (i as usize) * 997);
                storage.put(&key, bytes.clone(), "image/png").await.expect("put");
                let got = storage.get(&key).await.expect("get");
                assert!(got == bytes, "{key} came back different");
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }

    assert_eq!(store.storage.list_keys("companies/").await.expect("list").len(), 64);
    assert_eq!(temp_files_under(&store.root), Vec::<PathBuf>::new());
}

/// `bytes` as a body arriving in 64 KiB chunks, as a client's upload does.
fn chunked(bytes: &[u8]) -> impl futures::Stream<Item = Result<bytes::Bytes, String>> + Unpin + Send + use<> {
    let chunks: Vec<_> = bytes.chunks(64 << 10).map(|c| Ok(bytes::Bytes::copy_from_slice(c))).collect();
    futures::stream::iter(chunks)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_body_of_several_parts_is_stored_whole_with_a_multipart_etag_and_no_parts_left() {
    let store = start_store().await;
    let bytes = pattern(7, 2 * ipscopy::storage::PART_SIZE + 12_345);

    let stored = store.storage.put_stream("companies/1/assets/9", "image/tiff", &mut chunked(&bytes)).await;

    assert_eq!(stored.expect("a streamed put"), bytes.len() as u64);
    assert!(store.storage.get("companies/1/assets/9").await.expect("get") == bytes, "the bytes differ");
    let head =
        store.client.head_object().bucket(BUCKET).key("companies/1/assets/9").send().await.expect("head");
    assert!(head.e_tag().is_some_and(|e| e.ends_with("-3\"")), "{:?}", head.e_tag());
    assert_eq!(head.content_type(), Some("image/tiff"));
    assert_eq!(files_under(&store.root), [PathBuf::from(BUCKET).join("companies/1/assets/9")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_body_smaller_than_a_part_is_one_plain_put() {
    let store = start_store().await;
    let bytes = pattern(8, 300_000);

    let stored = store.storage.put_stream("k/small", "image/png", &mut chunked(&bytes)).await;

    assert_eq!(stored.expect("a streamed put"), 300_000);
    let head = store.client.head_object().bucket(BUCKET).key("k/small").send().await.expect("head");
    assert_eq!(head.e_tag(), Some(format!("\"{}\"", md5_hex(&bytes)).as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_fails_after_its_first_parts_leaves_no_object_and_no_parts() {
    use futures::StreamExt as _;
    let store = store_with_object("k/kept").await;
    let good = pattern(9, ipscopy::storage::PART_SIZE + 100);
    let failing = chunked(&good).chain(futures::stream::iter([Err("the client hung up".to_string())]));

    let stored = store.storage.put_stream("k/failed", "image/png", &mut Box::pin(failing)).await;

    assert!(
        matches!(stored, Err(ipscopy::storage::PutStreamError::Body(ref e)) if e == "the client hung up")
    );
    assert!(matches!(store.storage.get("k/failed").await, Err(StorageError::NotFound(_))));
    assert_eq!(files_under(&store.root), [PathBuf::from(BUCKET).join("k/kept")]);
}

/// A store holding one object under `key`, so a test can show nothing else is left.
async fn store_with_object(key: &str) -> Store {
    let store = start_store().await;
    store.storage.put(key, b"kept".to_vec(), "text/plain").await.expect("put");
    store
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_listed_out_of_order_or_with_a_wrong_etag_do_not_complete_an_upload() {
    use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
    let store = start_store().await;
    let upload = store.client.create_multipart_upload().bucket(BUCKET).key("k").send().await.expect("create");
    let id = upload.upload_id().expect("an upload id");
    let mut parts = Vec::new();
    for number in 1..=2 {
        let body = ByteStream::from(pattern(number as u64, 5 << 20));
        let sent =
            store.client.upload_part().bucket(BUCKET).key("k").upload_id(id).part_number(number).body(body);
        let sent = sent.send().await.expect("a part");
        parts.push(CompletedPart::builder().part_number(number).e_tag(sent.e_tag().unwrap()).build());
    }
    let complete = |parts: Vec<CompletedPart>| {
        let listed = CompletedMultipartUpload::builder().set_parts(Some(parts)).build();
        store
            .client
            .complete_multipart_upload()
            .bucket(BUCKET)
            .key("k")
            .upload_id(id)
            .multipart_upload(listed)
            .send()
    };

    let reversed = complete(parts.iter().rev().cloned().collect()).await.expect_err("out of order");
    let wrong = CompletedPart::builder().part_number(1).e_tag("\"00000000000000000000000000000000\"").build();
    let mismatched = complete(vec![wrong]).await.expect_err("a wrong etag");
    let done = complete(parts).await;

    assert_eq!(reversed.code(), Some("InvalidPartOrder"));
    assert_eq!(mismatched.code(), Some("InvalidPart"));
    assert!(done.is_ok(), "{done:?}");
    let stored = store.storage.get("k").await.expect("get");
    assert_eq!(stored.len(), 10 << 20);
    assert_eq!(files_under(&store.root), [PathBuf::from(BUCKET).join("k")]);
}
