/**
 * The series of the sample catalog `pnpm dev` loads: real titles and their creators, with volume
 * counts, prices and (in `sample-catalog.ts`) ISBNs and stock that are illustrative, not a
 * bookshop's records. Each series becomes one product per volume.
 */

/** A store category (the manga's demographic). */
export type Category = 'shonen' | 'seinen' | 'shojo' | 'josei' | 'kodomo';

/** The youngest reader a title is sold to. */
export type AgeRating = 'all' | '12+' | '15+' | '18+';

/** The ISBN publisher prefixes (the first digits of every ISBN-13 of its books). */
export const publishers = {
  shueisha: { name: '集英社', nameEn: 'Shueisha', isbnPrefix: '978408' },
  kodansha: { name: '講談社', nameEn: 'Kodansha', isbnPrefix: '978406' },
  shogakukan: { name: '小学館', nameEn: 'Shogakukan', isbnPrefix: '978409' },
  kadokawa: { name: 'KADOKAWA', nameEn: 'Kadokawa', isbnPrefix: '978404' },
  squareEnix: { name: 'スクウェア・エニックス', nameEn: 'Square Enix', isbnPrefix: '97847575' },
  hakusensha: { name: '白泉社', nameEn: 'Hakusensha', isbnPrefix: '9784592' },
  akita: { name: '秋田書店', nameEn: 'Akita Shoten', isbnPrefix: '9784253' },
} as const;

export type PublisherKey = keyof typeof publishers;

export interface SeriesEntry {
  /** The product ids' stem: `<slug>-<volume, three digits>`. */
  readonly slug: string;
  /** The Japanese title as printed. */
  readonly title: string;
  /** Its reading in katakana, for titles printed in Latin letters or hard kanji. */
  readonly reading: string;
  readonly titleEn: string;
  readonly author: string;
  readonly authorEn: string;
  readonly publisher: PublisherKey;
  readonly category: Category;
  readonly ageRating: AgeRating;
  /** Volumes in print; the last one is the newest. */
  readonly volumes: number;
  /** Price of volume 1 in yen, tax included; later volumes cost a little more. */
  readonly priceJpy: number;
  /** Short names readers use (`鬼滅`, `ヒロアカ`). */
  readonly aliases: readonly string[];
}

/** Short names readers use for some series, by slug. */
const seriesAliases: Readonly<Record<string, readonly string[]>> = {
  'kimetsu-no-yaiba': ['鬼滅'],
  'jujutsu-kaisen': ['呪術', 'JJK'],
  'my-hero-academia': ['ヒロアカ', 'MHA'],
  'shingeki-no-kyojin': ['進撃'],
  'spy-family': ['スパファミ'],
  'hunter-x-hunter': ['HxH'],
  'promised-neverland': ['約ネバ'],
  'tokyo-revengers': ['東リベ'],
  'gotobun-no-hanayome': ['五等分'],
  'detective-conan': ['コナン'],
  hagaren: ['ハガレン', 'FMA'],
  kusuriya: ['薬屋'],
  evangelion: ['エヴァ'],
  'dungeon-meshi': ['ダンメシ'],
  'natsume-yujincho': ['夏目'],
  'kaiju-8': ['怪8'],
};

const series = (
  slug: string,
  title: string,
  reading: string,
  titleEn: string,
  author: string,
  authorEn: string,
  publisher: PublisherKey,
  category: Category,
  ageRating: AgeRating,
  volumes: number,
  priceJpy: number,
): SeriesEntry => ({
  aliases: seriesAliases[slug] ?? [],
  slug,
  title,
  reading,
  titleEn,
  author,
  authorEn,
  publisher,
  category,
  ageRating,
  volumes,
  priceJpy,
});

// biome-ignore format: a table, one series a line
export const sampleSeries: readonly SeriesEntry[] = [
  series('one-piece', 'ONE PIECE', 'ワンピース', 'One Piece', '尾田栄一郎', 'Eiichiro Oda', 'shueisha', 'shonen', 'all', 110, 484),
  series('naruto', 'NARUTO -ナルト-', 'ナルト', 'Naruto', '岸本斉史', 'Masashi Kishimoto', 'shueisha', 'shonen', 'all', 72, 462),
  series('bleach', 'BLEACH', 'ブリーチ', 'Bleach', '久保帯人', 'Tite Kubo', 'shueisha', 'shonen', '12+', 74, 462),
  series('kimetsu-no-yaiba', '鬼滅の刃', 'キメツノヤイバ', 'Demon Slayer: Kimetsu no Yaiba', '吾峠呼世晴', 'Koyoharu Gotouge', 'shueisha', 'shonen', '12+', 23, 484),
  series('jujutsu-kaisen', '呪術廻戦', 'ジュジュツカイセン', 'Jujutsu Kaisen', '芥見下々', 'Gege Akutami', 'shueisha', 'shonen', '12+', 30, 484),
  series('my-hero-academia', '僕のヒーローアカデミア', 'ボクノヒーローアカデミア', 'My Hero Academia', '堀越耕平', 'Kohei Horikoshi', 'shueisha', 'shonen', 'all', 42, 484),
  series('chainsaw-man', 'チェンソーマン', 'チェンソーマン', 'Chainsaw Man', '藤本タツキ', 'Tatsuki Fujimoto', 'shueisha', 'shonen', '15+', 21, 528),
  series('spy-family', 'SPY×FAMILY', 'スパイファミリー', 'Spy x Family', '遠藤達哉', 'Tatsuya Endo', 'shueisha', 'shonen', 'all', 15, 528),
  series('hunter-x-hunter', 'HUNTER×HUNTER', 'ハンターハンター', 'Hunter x Hunter', '冨樫義博', 'Yoshihiro Togashi', 'shueisha', 'shonen', '12+', 38, 462),
  series('dragon-ball', 'DRAGON BALL', 'ドラゴンボール', 'Dragon Ball', '鳥山明', 'Akira Toriyama', 'shueisha', 'shonen', 'all', 42, 440),
  series('slam-dunk', 'SLAM DUNK', 'スラムダンク', 'Slam Dunk', '井上雄彦', 'Takehiko Inoue', 'shueisha', 'shonen', 'all', 31, 440),
  series('haikyu', 'ハイキュー!!', 'ハイキュー', 'Haikyu!!', '古舘春一', 'Haruichi Furudate', 'shueisha', 'shonen', 'all', 45, 484),
  series('promised-neverland', '約束のネバーランド', 'ヤクソクノネバーランド', 'The Promised Neverland', '白井カイウ・出水ぽすか', 'Kaiu Shirai, Posuka Demizu', 'shueisha', 'shonen', '12+', 20, 484),
  series('death-note', 'DEATH NOTE', 'デスノート', 'Death Note', '大場つぐみ・小畑健', 'Tsugumi Ohba, Takeshi Obata', 'shueisha', 'shonen', '15+', 12, 462),
  series('gintama', '銀魂', 'ギンタマ', 'Gintama', '空知英秋', 'Hideaki Sorachi', 'shueisha', 'shonen', '12+', 77, 462),
  series('ao-no-hako', 'アオのハコ', 'アオノハコ', 'Blue Box', '三浦糀', 'Kouji Miura', 'shueisha', 'shonen', 'all', 20, 528),
  series('sakamoto-days', 'SAKAMOTO DAYS', 'サカモトデイズ', 'Sakamoto Days', '鈴木祐斗', 'Yuto Suzuki', 'shueisha', 'shonen', '12+', 20, 528),
  series('dandadan', 'ダンダダン', 'ダンダダン', 'Dandadan', '龍幸伸', 'Yukinobu Tatsu', 'shueisha', 'shonen', '15+', 18, 528),
  series('kaiju-8', '怪獣8号', 'カイジュウハチゴウ', 'Kaiju No. 8', '松本直也', 'Naoya Matsumoto', 'shueisha', 'shonen', '12+', 15, 528),
  series('kingdom', 'キングダム', 'キングダム', 'Kingdom', '原泰久', 'Yasuhisa Hara', 'shueisha', 'seinen', '12+', 73, 594),
  series('golden-kamuy', 'ゴールデンカムイ', 'ゴールデンカムイ', 'Golden Kamuy', '野田サトル', 'Satoru Noda', 'shueisha', 'seinen', '15+', 31, 594),
  series('tokyo-ghoul', '東京喰種トーキョーグール', 'トーキョーグール', 'Tokyo Ghoul', '石田スイ', 'Sui Ishida', 'shueisha', 'seinen', '15+', 14, 594),
  series('kimi-ni-todoke', '君に届け', 'キミニトドケ', 'Kimi ni Todoke: From Me to You', '椎名軽穂', 'Karuho Shiina', 'shueisha', 'shojo', 'all', 30, 462),
  series('nana', 'NANA', 'ナナ', 'Nana', '矢沢あい', 'Ai Yazawa', 'shueisha', 'josei', '15+', 21, 462),
  series('honey-lemon-soda', 'ハニーレモンソーダ', 'ハニーレモンソーダ', 'Honey Lemon Soda', '村田真優', 'Mayu Murata', 'shueisha', 'shojo', 'all', 23, 484),
  series('shingeki-no-kyojin', '進撃の巨人', 'シンゲキノキョジン', 'Attack on Titan', '諫山創', 'Hajime Isayama', 'kodansha', 'shonen', '15+', 34, 506),
  series('blue-lock', 'ブルーロック', 'ブルーロック', 'Blue Lock', '金城宗幸・ノ村優介', 'Muneyuki Kaneshiro, Yusuke Nomura', 'kodansha', 'shonen', 'all', 32, 528),
  series('tokyo-revengers', '東京卍リベンジャーズ', 'トウキョウリベンジャーズ', 'Tokyo Revengers', '和久井健', 'Ken Wakui', 'kodansha', 'shonen', '12+', 31, 506),
  series('gotobun-no-hanayome', '五等分の花嫁', 'ゴトウブンノハナヨメ', 'The Quintessential Quintuplets', '春場ねぎ', 'Negi Haruba', 'kodansha', 'shonen', '12+', 14, 506),
  series('seven-deadly-sins', '七つの大罪', 'ナナツノタイザイ', 'The Seven Deadly Sins', '鈴木央', 'Nakaba Suzuki', 'kodansha', 'shonen', '12+', 41, 484),
  series('hajime-no-ippo', 'はじめの一歩', 'ハジメノイッポ', 'Hajime no Ippo', '森川ジョージ', 'George Morikawa', 'kodansha', 'shonen', 'all', 60, 484),
  series('akira', 'AKIRA', 'アキラ', 'Akira', '大友克洋', 'Katsuhiro Otomo', 'kodansha', 'seinen', '15+', 6, 1320),
  series('vinland-saga', 'ヴィンランド・サガ', 'ヴィンランドサガ', 'Vinland Saga', '幸村誠', 'Makoto Yukimura', 'kodansha', 'seinen', '15+', 14, 660),
  series('kiseiju', '寄生獣', 'キセイジュウ', 'Parasyte', '岩明均', 'Hitoshi Iwaaki', 'kodansha', 'seinen', '15+', 10, 660),
  series('uchu-kyodai', '宇宙兄弟', 'ウチュウキョウダイ', 'Space Brothers', '小山宙哉', 'Chuya Koyama', 'kodansha', 'seinen', 'all', 45, 660),
  series('nodame-cantabile', 'のだめカンタービレ', 'ノダメカンタービレ', 'Nodame Cantabile', '二ノ宮知子', 'Tomoko Ninomiya', 'kodansha', 'josei', 'all', 25, 462),
  series('chihayafuru', 'ちはやふる', 'チハヤフル', 'Chihayafuru', '末次由紀', 'Yuki Suetsugu', 'kodansha', 'josei', 'all', 50, 484),
  series('detective-conan', '名探偵コナン', 'メイタンテイコナン', 'Case Closed (Detective Conan)', '青山剛昌', 'Gosho Aoyama', 'shogakukan', 'shonen', 'all', 106, 484),
  series('frieren', '葬送のフリーレン', 'ソウソウノフリーレン', "Frieren: Beyond Journey's End", '山田鐘人・アベツカサ', 'Kanehito Yamada, Tsukasa Abe', 'shogakukan', 'shonen', 'all', 14, 528),
  series('doraemon', 'ドラえもん', 'ドラエモン', 'Doraemon', '藤子・F・不二雄', 'Fujiko F. Fujio', 'shogakukan', 'kodomo', 'all', 45, 462),
  series('inuyasha', '犬夜叉', 'イヌヤシャ', 'Inuyasha', '高橋留美子', 'Rumiko Takahashi', 'shogakukan', 'shonen', '12+', 56, 462),
  series('ranma', 'らんま1/2', 'ランマニブンノイチ', 'Ranma ½', '高橋留美子', 'Rumiko Takahashi', 'shogakukan', 'shonen', '12+', 38, 462),
  series('major', 'MAJOR', 'メジャー', 'Major', '満田拓也', 'Takuya Mitsuda', 'shogakukan', 'shonen', 'all', 78, 462),
  series('monster', 'MONSTER', 'モンスター', 'Monster', '浦沢直樹', 'Naoki Urasawa', 'shogakukan', 'seinen', '15+', 18, 660),
  series('20th-century-boys', '20世紀少年', 'ニジッセイキショウネン', '20th Century Boys', '浦沢直樹', 'Naoki Urasawa', 'shogakukan', 'seinen', '15+', 22, 660),
  series('maiko-san', '舞妓さんちのまかないさん', 'マイコサンチノマカナイサン', 'Kiyo in Kyoto', '小山愛子', 'Aiko Koyama', 'shogakukan', 'seinen', 'all', 25, 594),
  series('hagaren', '鋼の錬金術師', 'ハガネノレンキンジュツシ', 'Fullmetal Alchemist', '荒川弘', 'Hiromu Arakawa', 'squareEnix', 'shonen', '12+', 27, 462),
  series('kusuriya', '薬屋のひとりごと', 'クスリヤノヒトリゴト', 'The Apothecary Diaries', '日向夏・ねこクラゲ', 'Natsu Hyuuga, Nekokurage', 'squareEnix', 'shojo', '12+', 13, 660),
  series('soul-eater', 'ソウルイーター', 'ソウルイーター', 'Soul Eater', '大久保篤', 'Atsushi Ohkubo', 'squareEnix', 'shonen', '12+', 25, 462),
  series('yotsuba', 'よつばと!', 'ヨツバト', 'Yotsuba&!', 'あずまきよひこ', 'Kiyohiko Azuma', 'kadokawa', 'kodomo', 'all', 16, 660),
  series('evangelion', '新世紀エヴァンゲリオン', 'シンセイキエヴァンゲリオン', 'Neon Genesis Evangelion', '貞本義行', 'Yoshiyuki Sadamoto', 'kadokawa', 'shonen', '12+', 14, 616),
  series('dungeon-meshi', 'ダンジョン飯', 'ダンジョンメシ', 'Delicious in Dungeon', '九井諒子', 'Ryoko Kui', 'kadokawa', 'seinen', 'all', 14, 748),
  series('berserk', 'ベルセルク', 'ベルセルク', 'Berserk', '三浦建太郎', 'Kentaro Miura', 'hakusensha', 'seinen', '18+', 42, 594),
  series('fruits-basket', 'フルーツバスケット', 'フルーツバスケット', 'Fruits Basket', '高屋奈月', 'Natsuki Takaya', 'hakusensha', 'shojo', 'all', 23, 462),
  series('natsume-yujincho', '夏目友人帳', 'ナツメユウジンチョウ', "Natsume's Book of Friends", '緑川ゆき', 'Yuki Midorikawa', 'hakusensha', 'shojo', 'all', 30, 528),
  series('akagami-no-shirayukihime', '赤髪の白雪姫', 'アカガミノシラユキヒメ', 'Snow White with the Red Hair', 'あきづき空太', 'Sorata Akiduki', 'hakusensha', 'shojo', 'all', 26, 484),
  series('yowamushi-pedal', '弱虫ペダル', 'ヨワムシペダル', 'Yowamushi Pedal', '渡辺航', 'Wataru Watanabe', 'akita', 'shonen', 'all', 60, 506),
  series('black-jack', 'ブラック・ジャック', 'ブラックジャック', 'Black Jack', '手塚治虫', 'Osamu Tezuka', 'akita', 'shonen', '12+', 17, 594),
];
