//! One field of a form: its name, its value as chunks or whole, and saving a
//! file under a directory.

use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};

use super::names::safe_file_name;
use super::{Current, Multipart, MultipartError};

/// One field of a [`Multipart`] body: a text value, or a file with its name.
pub struct Field<'a> {
    pub(super) multipart: &'a mut Multipart,
}

impl std::fmt::Debug for Field<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Field")
            .field("name", &self.name())
            .field("file_name", &self.file_name())
            .field("content_type", &self.content_type())
            .finish()
    }
}

impl Field<'_> {
    fn current(&self) -> &Current {
        self.multipart
            .current
            .as_ref()
            .expect("a Field exists only while its field is current")
    }

    /// The field's name (`name="…"` of its `Content-Disposition`).
    pub fn name(&self) -> Option<&str> {
        self.current().name.as_deref()
    }

    /// The file name as the client sent it (`filename="…"`): raw text that
    /// may hold `../`, an absolute path or control characters. Take
    /// [`safe_file_name`](Field::safe_file_name) to use it on disk.
    pub fn file_name(&self) -> Option<&str> {
        self.current().field.file_name()
    }

    /// The file name reduced to one safe path component (see [`safe_file_name`]).
    pub fn safe_file_name(&self) -> Option<String> {
        self.file_name().and_then(safe_file_name)
    }

    /// The field's `Content-Type`, as sent.
    pub fn content_type(&self) -> Option<&str> {
        self.current()
            .field
            .content_type()
            .map(|mime| mime.as_ref())
    }

    /// The field's headers.
    pub fn headers(&self) -> &http::HeaderMap {
        self.current().field.headers()
    }

    /// The next chunk of the field's value, or `None` at its end. Over the
    /// field's limit is [`MultipartError::FieldTooLarge`].
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, MultipartError> {
        let body_limit = self.multipart.body_limit;
        self.multipart
            .current
            .as_mut()
            .expect("a Field exists only while its field is current")
            .next_chunk(body_limit)
            .await
    }

    /// The whole value, in memory: within the text-field limit (a file's
    /// too, unless [`MultipartLimits::for_field`](super::MultipartLimits::for_field) names it); stream a large
    /// file with [`chunk`](Field::chunk) or [`save_in`](Field::save_in).
    pub async fn bytes(mut self) -> Result<Bytes, MultipartError> {
        let mut buffer = BytesMut::new();
        while let Some(chunk) = self.chunk().await? {
            buffer.extend_from_slice(&chunk);
            let current = self.current();
            if buffer.len() as u64 > current.limit.in_memory {
                return Err(current.too_large(current.limit.in_memory));
            }
        }
        Ok(buffer.freeze())
    }

    /// The whole value as UTF-8 text, in memory, within the limit of [`bytes`](Field::bytes).
    pub async fn text(self) -> Result<String, MultipartError> {
        let name = self.name().unwrap_or("").to_owned();
        let bytes = self.bytes().await?;
        String::from_utf8(bytes.into()).map_err(|_| {
            MultipartError::Malformed(format!("field `{name}` is not valid UTF-8 text"))
        })
    }

    /// Streams the field into a new file in `dir`, never outside it, and
    /// never over an existing file.
    ///
    /// The file is named by [`safe_file_name`] (`upload` when the client
    /// sent none that is usable); when the name is taken, a number is added
    /// before the extension (`report-1.txt`). It is written under a hidden
    /// temporary name (`.….part`) and gets its name only once complete. A
    /// field that fails (over its limit, the body ends early, the request is
    /// dropped) leaves no file behind.
    pub async fn save_in(mut self, dir: impl AsRef<Path>) -> Result<SavedFile, MultipartError> {
        use tokio::io::AsyncWriteExt;

        let dir = dir.as_ref();
        let name = self.safe_file_name().unwrap_or_else(|| "upload".to_owned());
        // Written under a hidden temporary name (which `files` never
        // serves), and given its name only once complete, so that nobody
        // reads a half-written upload under the name it will have.
        let temporary = format!(".{:016x}.part", random_u64());
        let (temporary, mut file) = create_new_in(dir, &temporary).await?;
        // An incomplete upload is not kept: on an error, and when the
        // request is dropped mid-way (a timeout, a reset HTTP/2 stream, the
        // end of a shutdown's drain), the file is removed.
        let _partial = RemoveOnDrop(Some(temporary.clone()));
        let mut size = 0u64;
        while let Some(chunk) = self.chunk().await? {
            file.write_all(&chunk).await?;
            size += chunk.len() as u64;
        }
        file.flush().await?;
        drop(file);
        let path = publish(&temporary, dir, &name).await?;
        Ok(SavedFile { path, size })
    }
}

/// Gives the complete file at `temporary` the name `name` in `dir` (or a
/// numbered one), never over an existing file: a hard link fails if the
/// name is taken. The temporary name is removed by the caller's guard.
async fn publish(temporary: &Path, dir: &Path, name: &str) -> std::io::Result<PathBuf> {
    for candidate in candidate_names(name) {
        let path = dir.join(candidate);
        match tokio::fs::hard_link(temporary, &path).await {
            Ok(()) => return Ok(path),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            // A file system without hard links: renamed when the name is
            // free (a name taken between the look and the rename is the
            // one case that can replace a file there).
            Err(_) => {
                if tokio::fs::symlink_metadata(&path).await.is_ok() {
                    continue;
                }
                tokio::fs::rename(temporary, &path).await?;
                return Ok(path);
            }
        }
    }
    Err(no_free_name(name))
}

/// Removes the file at its path when dropped, unless the path was taken.
struct RemoveOnDrop(Option<PathBuf>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A file that [`Field::save_in`] wrote.
#[derive(Debug, Clone)]
pub struct SavedFile {
    path: PathBuf,
    size: u64,
}

impl SavedFile {
    /// Where it was written: inside the directory given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The name it was written under.
    pub fn file_name(&self) -> &str {
        self.path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default()
    }

    /// Its size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }
}

/// Opens a new file named `name` (or `stem-N.ext`) in `dir`, failing rather
/// than following a link or replacing a file.
async fn create_new_in(dir: &Path, name: &str) -> std::io::Result<(PathBuf, tokio::fs::File)> {
    for candidate in candidate_names(name) {
        let path = dir.join(candidate);
        // `create_new` is O_CREAT | O_EXCL: it refuses an existing name,
        // a symbolic link (even a dangling one) included.
        match tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
        {
            Ok(file) => return Ok((path, file)),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        }
    }
    Err(no_free_name(name))
}

/// `name`, then `stem-1.ext` … `stem-16.ext`, then random suffixes, so that
/// a client who made `report-1` … `report-16` cannot make each upload walk them.
fn candidate_names(name: &str) -> impl Iterator<Item = String> + '_ {
    let (stem, extension) = match name.rfind('.') {
        Some(dot) if dot > 0 => name.split_at(dot),
        _ => (name, ""),
    };
    (0..32u32).map(move |attempt| match attempt {
        0 => name.to_owned(),
        1..=16 => format!("{stem}-{attempt}{extension}"),
        _ => format!("{stem}-{:016x}{extension}", random_u64()),
    })
}

fn no_free_name(name: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!("no free name like `{name}` was found"),
    )
}

fn random_u64() -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(std::time::SystemTime::now())
}
