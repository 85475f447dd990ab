"""One pipeline for every lead a provider holds (direct, broadcast, quote, teaser): its stages
and their rules (`stages`), the provider's own notes and the visit's .ics (`notes`), the
pipeline inbox (`inbox`), spend control (`spend`) and the auto-reply (`autoreply`).

Sits under direct, broadcast and quotes (each hands it the assignments it creates) and over
leads, platform and models."""
