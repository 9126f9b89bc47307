// SimFeeds: what enters the log. Synthetic exchange feeds shaped exactly like the two seed producers' messages
// (`Week6TickerFeed`, `CoinbaseSpotFeed`) plus a Binance-like trade stream (`TradeStreamFeed`), all driven by one
// seeded market model (`MarketSimulation`); and real or generated captures (`CaptureReader`/`CaptureWriter`)
// that can be recorded (`CaptureRecorder`), imported (`CaptureImporter`), inspected (`CaptureStatistics`) and
// replayed time-faithfully (`CaptureReplayer`). See docs/feeds.md and docs/capture-format.md.
