//! [`SingerSource`]: a Singer tap as a faucet source.

use std::sync::Arc;
use std::time::Duration;

use faucet_core::connector::*;
use faucet_core::schemars;
use faucet_core::{CheckReport, StreamInfo};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::catalog;
use crate::config::{SingerCatalog, SingerSourceConfig};
use crate::launch;
use crate::mask::Masker;
use crate::run;

/// Runs a Singer tap and reads its messages as pages. Build it with
/// [`SingerSource::new`]; see the crate docs.
#[derive(Debug)]
pub struct SingerSource {
    config: Arc<SingerSourceConfig>,
    masker: Masker,
}

impl SingerSource {
    /// Validates `config` and builds the source; no I/O (the tap is
    /// installed and started when the run starts).
    pub fn new(config: SingerSourceConfig) -> Result<Self> {
        if config.executable.trim().is_empty() {
            return Err(FaucetError::config(
                "executable",
                "must name the tap's executable",
            ));
        }
        if config.page_records == 0 {
            return Err(FaucetError::config("page_records", "must be at least 1"));
        }
        if config.page_max_ms == 0 {
            return Err(FaucetError::config("page_max_ms", "must be at least 1"));
        }
        if config.idle_timeout_secs == 0 {
            return Err(FaucetError::config(
                "idle_timeout_secs",
                "must be at least 1",
            ));
        }
        if let Some(pip_url) = &config.pip_url
            && pip_url.trim().is_empty()
        {
            return Err(FaucetError::config("pip_url", "must name what to install"));
        }
        if let Some(select) = &config.select
            && select.is_empty()
        {
            return Err(FaucetError::config(
                "select",
                "must name at least one stream",
            ));
        }
        if let Some(SingerCatalog::Inline(map)) = &config.catalog
            && !map.get("streams").is_some_and(Value::is_array)
        {
            return Err(FaucetError::config(
                "catalog",
                "an inline catalog is an object with a `streams` array",
            ));
        }
        if !config.incremental && !config.full_refresh_streams.is_empty() {
            return Err(FaucetError::config(
                "full_refresh_streams",
                "only means something with `incremental: true`",
            ));
        }
        Ok(Self {
            masker: Masker::of(&config.config, &config.env),
            config: Arc::new(config),
        })
    }
}

/// Aborts the run's task (so its tap is stopped) when the page stream is
/// dropped.
struct RunTask(JoinHandle<()>);

impl Drop for RunTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[async_trait]
impl Source for SingerSource {
    async fn fetch(&self, ctx: &SourceContext) -> Result<Vec<Record>> {
        collect_records(self.stream_pages(ctx.clone())).await
    }

    fn stream_pages<'a>(&'a self, ctx: SourceContext) -> PageStream<'a> {
        let (tx, rx) = mpsc::channel(2);
        let task = tokio::spawn(run::run(self.config.clone(), self.masker.clone(), ctx, tx));
        stream::unfold((rx, RunTask(task)), |(mut rx, task)| async move {
            let page = rx.recv().await?;
            Some((page, (rx, task)))
        })
        .boxed()
    }

    fn config_schema(&self) -> Option<schemars::Schema> {
        Some(schemars::schema_for!(SingerSourceConfig))
    }

    async fn check(&self) -> Result<CheckReport> {
        let mut report = CheckReport::new();
        let base = match launch::base(&self.config).await {
            Ok(base) => {
                report.pass("executable");
                base
            }
            Err(err) => {
                report.fail("executable", self.masker.mask(&err.to_string()));
                report.skip("discover", "the tap cannot be started");
                return Ok(report);
            }
        };
        let idle = Duration::from_secs(self.config.idle_timeout_secs);
        match catalog::discover(&base.launch, &self.masker, idle).await {
            Ok(catalog) => match catalog::streams(&catalog) {
                Ok(streams) => {
                    report.pass(format!("discover ({} streams)", streams.len()));
                }
                Err(err) => {
                    report.fail("discover", err.to_string());
                }
            },
            Err(err) => {
                report.fail("discover", self.masker.mask(&err.to_string()));
            }
        }
        Ok(report)
    }

    async fn discover(&self) -> Result<Vec<StreamInfo>> {
        let base = launch::base(&self.config).await?;
        let catalog =
            match launch::resolve_catalog(&self.config, &base.launch, &self.masker).await? {
                Some(catalog) => catalog,
                None => {
                    let idle = Duration::from_secs(self.config.idle_timeout_secs);
                    catalog::discover(&base.launch, &self.masker, idle).await?
                }
            };
        catalog::streams(&catalog)
    }

    fn capabilities(&self) -> SourceCapabilities {
        let caps = SourceCapabilities::default().resumable();
        if self.config.incremental {
            caps.incremental()
        } else {
            caps
        }
    }

    fn full_refresh_streams(&self) -> Vec<String> {
        self.config.full_refresh_streams.clone()
    }

    fn name(&self) -> &str {
        "singer"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_is_object_safe() {
        fn assert_send_sync<T: Send + Sync + ?Sized>() {}
        assert_send_sync::<Box<dyn Source>>();
        let source: Box<dyn Source> =
            Box::new(SingerSource::new(SingerSourceConfig::new("tap-x")).unwrap());
        assert_eq!(source.name(), "singer");
        assert!(source.capabilities().resumable);
    }

    #[test]
    fn bad_values_name_their_field() {
        let mut c = SingerSourceConfig::new("tap-x");
        c.page_records = 0;
        let err = SingerSource::new(c).unwrap_err();
        assert!(matches!(err, FaucetError::Config { ref path, .. } if path == "page_records"));
        let mut c = SingerSourceConfig::new("tap-x");
        c.select = Some(vec![]);
        assert!(SingerSource::new(c).is_err());
    }
}
