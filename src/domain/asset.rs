//! Where an asset is: its image's state and its place relative to the trash.

named_enum! {
    /// A reserved asset is `Pending` until its image is stored; a `Failed` copy gave its name back.
    pub enum AssetState("asset state") {
        Pending = "pending",
        Ready = "ready",
        Failed = "failed",
    }
}

named_enum! {
    /// The IPS `TrashState` of an asset.
    pub enum TrashState("trash state") {
        NotInTrash = "NotInTrash",
        InTrash = "InTrash",
        InEmptiedTrash = "InEmptiedTrash",
    }
}
